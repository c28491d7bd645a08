# bars.gp - back ends compared on one input: peak footprint, Johnstone &
# Wilson #3 and #4, failed allocations.
# data: allocator peak_footprint_MiB jw3 jw4 failed mean_internal_frag
h = 1.5
load gpdir.'/common.gp'
set multiplot layout 2,2 title ttl font fmed
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.8
set yrange [0:*]
set xtics rotate by 40 right font fsmall
set grid ytics
unset key
set title 'peak footprint (MiB)' font fsmall
plot data using 2:xtic(1) lc rgb '#0072B2'
set title 'J&W #3: (F-R)/R at peak F' font fsmall
plot data using 3:xtic(1) lc rgb '#D55E00'
set title 'J&W #4: (max F - max R)/max R' font fsmall
plot data using 4:xtic(1) lc rgb '#009E73'
set title 'failed allocations' font fsmall
stats data using 5 nooutput
if (STATS_max <= 0) { set yrange [0:1] }
plot data using 5:xtic(1) lc rgb '#CC79A7'
unset multiplot
