# frag.gp - over time, one line per back end, three panels sharing the x
# axis: internal fragmentation (A-R)/A, total overhead (F-R)/F, and pages
# held hostage by slabs at most 1/8 used. Gaps: the ratio is undefined
# (nothing allocated, or nothing held).
h = 2.1
load gpdir.'/common.gp'
set multiplot layout 3,1 title ttl."\n" font fmed
set yrange [0:1]
set key outside top center horizontal maxrows 2
set xlabel ' '
set ylabel 'internal (A-R)/A'
plot for [i=1:words(files)] word(files,i) using (column(xcol)*xscale):6 with steps lw 1.5 lc rgb word(colours,i) title word(labels,i)
unset key
set ylabel 'overhead (F-R)/F'
plot for [i=1:words(files)] word(files,i) using (column(xcol)*xscale):7 with steps lw 1.5 lc rgb word(colours,i) title word(labels,i)
set xlabel xlab
set ylabel 'hostage pages'
set yrange [0:*]
set autoscale ymax
plot for [i=1:words(files)] word(files,i) using (column(xcol)*xscale):8 with steps lw 1.5 lc rgb word(colours,i) title word(labels,i)
unset multiplot
