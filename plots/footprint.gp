# footprint.gp - F(t) per back end and R(t), one figure.
# files, labels: space-separated run data (ts TSV) and back-end names;
# xcol (1 = time s, 2 = events), xscale, xlab, ttl.
load gpdir.'/common.gp'
set title ttl font fmed
set xlabel xlab
# Log scale: back ends differ by orders of magnitude (buddy rounds every
# object to whole pages), and a linear axis squashes all but the largest.
set ylabel 'MiB (log scale)'
set logscale y
set yrange [*:*]
set key below center horizontal maxrows 2
set bmargin 6
plot for [i=1:words(files)] word(files,i) using (column(xcol)*xscale):5 with steps lw 1.5 lc rgb word(colours,i) title word(labels,i).' F', \
     word(files,1) using (column(xcol)*xscale):3 with steps lw 1.5 dt (4,3) lc rgb '#404040' title 'live R'
