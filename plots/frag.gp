# frag.gp - overhead over time, one line per back end, three panels
# sharing the x axis: footprint per live byte F/R and allocated per
# requested byte A/R (log axes: 1 is no overhead; gaps: nothing live), and
# hostage pages (dashed: cached empty pages, where the database has them).
# files, labels, colours: run<ID>_ts.tsv per run (column 2 events, 8
# hostage pages, 10 F/R, 11 A/R, 12 cached empty pages); ends, markcmd,
# xscale, xlab, xmax as in footprint.gp.
h = 2.1
load gpdir.'/common.gp'
set multiplot layout 3,1 title ttl margins 0.2,0.96,0.08,0.84 spacing 0,0.045
set xrange [0:xmax]
set key at screen 0.58, screen 0.925 center top horizontal maxcols keycols width 1 font ftiny samplen 1.5
eval(markcmd)
set format x ''
set logscale y
set ylabel 'F/R (ratio, log)'
plot for [i=1:words(files)] word(files,i) using ($2*xscale):10 with steps lw 1.2 lc rgb word(colours,i) title word(labels,i), \
     ends using ($1*xscale):3:6 with points pt 2 ps 1.0 lw 1.5 lc rgb variable notitle
unset key
unset label
set ylabel 'A/R (ratio, log)'
plot for [i=1:words(files)] word(files,i) using ($2*xscale):11 with steps lw 1.2 lc rgb word(colours,i) notitle, \
     ends using ($1*xscale):4:6 with points pt 2 ps 1.0 lw 1.5 lc rgb variable notitle
unset logscale y
set format x '%g'
set xlabel xlab
# cached empty pages only where the database has them
nempty = 0
do for [i=1:words(files)] {
    stats word(files,i) using (valid(12) ? 1 : 0) nooutput
    nempty = nempty + STATS_sum
}
set ylabel (nempty > 0 ? 'pages (count)' : 'hostage pages (count)')
if (nempty > 0) { set label 6 'solid: hostage; dashed: cached empty' at graph 0.02, graph 0.92 left font ftiny tc rgb '#404040' }
set yrange [0:*]
plot for [i=1:words(files)] word(files,i) using ($2*xscale):8 with steps lw 1.2 lc rgb word(colours,i) notitle, \
     for [i=1:words(files)] word(files,i) using ($2*xscale):12 with steps lw 1.0 dt (4,3) lc rgb word(colours,i) notitle, \
     ends using ($1*xscale):5:6 with points pt 2 ps 1.0 lw 1.5 lc rgb variable notitle
unset multiplot
