# frag.gp - internal fragmentation (A-R)/A and total overhead (F-R)/F over
# time, one line per back end, two panels sharing the x axis. Gaps: the
# ratio is undefined (nothing allocated, or nothing held).
h = 1.6
load gpdir.'/common.gp'
set multiplot layout 2,1 title ttl."\n" font fmed
set yrange [0:1]
set key outside top center horizontal maxrows 2
set xlabel ' '
set ylabel 'internal (A-R)/A'
plot for [i=1:words(files)] word(files,i) using (column(xcol)*xscale):6 with lines lw 1.5 lc rgb C[(i-1)%8+1] title word(labels,i)
unset key
set xlabel xlab
set ylabel 'overhead (F-R)/F'
plot for [i=1:words(files)] word(files,i) using (column(xcol)*xscale):7 with lines lw 1.5 lc rgb C[(i-1)%8+1] title word(labels,i)
unset multiplot
