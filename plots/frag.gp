# frag.gp - internal fragmentation (A-R)/A and total overhead (F-R)/F over
# time, one line per back end, two panels.
h = 1.6
load gpdir.'/common.gp'
set multiplot layout 2,1 title ttl font fmed
set xlabel xlab
set yrange [0:1]
set ylabel 'internal (A-R)/A'
set key top right
plot for [i=1:words(files)] word(files,i) using (column(xcol)*xscale):6 with lines lw 1.5 lc rgb C[(i-1)%8+1] title word(labels,i)
set ylabel 'overhead (F-R)/F'
set key bottom right
plot for [i=1:words(files)] word(files,i) using (column(xcol)*xscale):7 with lines lw 1.5 lc rgb C[(i-1)%8+1] title word(labels,i)
unset multiplot
