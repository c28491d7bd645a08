# thp.gp - Gorman's indices at one order (order: 9, x86-64's 2 MiB huge
# page, or the largest order below) over time, one line per back end: the
# unusable free space index (the share of free memory in blocks too small)
# and the fragmentation index (defined only while such an allocation would
# fail: no line otherwise). files as in extfrag.gp.
h = 1.7
load gpdir.'/common.gp'
krows = keyrows(words(labels))
set multiplot layout 2,1 title ttl margins 0.17,0.96,0.11,0.895 - 0.04*krows spacing 0,0.06
set xrange [0:xmax]
set yrange [-0.03:1.03]
set ytics 0, 0.25, 1
set format x ''
set key at screen 0.55, screen 0.925 center top horizontal maxcols keycols width 1 font ftiny samplen 1.5
set ylabel 'unusable index (0-1)'
plot for [i=1:words(files)] word(files,i) using ($1*xscale):(column(2 + order)) with steps lw 1.2 lc rgb word(colours,i) title word(labels,i)
unset key
set format x '%g'
set xlabel xlab
set ylabel 'fragmentation index (0-1)'
# the index is defined only while the allocation would fail: say so when it never does
ndef = 0
do for [i=1:words(files)] {
    stats word(files,i) using (valid(3 + maxord + order) ? 1 : 0) nooutput
    ndef = ndef + STATS_sum
}
if (ndef == 0) { set label 5 "n/a throughout: an allocation of\nthis order would have succeeded" at graph 0.5, graph 0.5 center font fsmall tc rgb '#606060' }
plot for [i=1:words(files)] word(files,i) using ($1*xscale):(column(3 + maxord + order)) with steps lw 1.2 lc rgb word(colours,i) notitle
unset multiplot
