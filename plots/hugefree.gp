# hugefree.gp - free 2 MiB frames over time, one line per back end
# (solid): free buddy blocks of order 9 and above counted in 2 MiB units,
# every zone; dotted: all free memory in 2 MiB units (what it would make
# if it were contiguous). files: run<ID>_huge.tsv per run (1 events,
# 2 free 2 MiB frames, 3 free pages / 512); labels, colours, xscale, xlab,
# xmax.
h = 1.25
load gpdir.'/common.gp'
set title ttl
set xlabel xlab
set ylabel 'free 2 MiB frames (count)'
set xrange [0:xmax]
set yrange [0:*]
eval(keybelow(words(labels) + 1))
plot for [i=1:words(files)] word(files,i) using ($1*xscale):2 with steps lw 1.2 lc rgb word(colours,i) title word(labels,i), \
     for [i=1:words(files)] word(files,i) using ($1*xscale):3 with steps lw 0.8 dt (2,4) lc rgb word(colours,i) notitle, \
     keyentry with lines lw 0.8 dt (2,4) lc rgb '#000000' title 'free memory / 2 MiB'
