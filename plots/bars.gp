# bars.gp - back ends compared on one input: peak footprint, Johnstone &
# Wilson #3 and #4, failed allocations; one panel each, about four y tics
# per panel so the short panels stay legible.
# data: allocator peak_footprint_MiB jw3 jw4 failed mean_internal_frag colour
# (0xRRGGBB as an integer: each back end's colour, as in the line figures)
h = 1.5
load gpdir.'/common.gp'
# a step of 1, 2 or 5 times a power of ten giving about n intervals up to x
m10(x) = 10.0**floor(log10(x))
step1(q) = (q/m10(q) <= 1 ? 1 : q/m10(q) <= 2 ? 2 : q/m10(q) <= 5 ? 5 : 10) * m10(q)
nice(x, n) = (x <= 0) ? 1 : step1(x * 1.0 / n)
set multiplot layout 2,2 title ttl font fmed
set style fill solid 0.85 border -1
set boxwidth 0.7
set xrange [-0.6:*]
set autoscale xfixmax
set offsets 0, 0.6, 0, 0
set xtics rotate by 40 right font fsmall
set grid ytics
unset key
do for [c=2:5] {
    set autoscale y
    stats data using c nooutput
    top = STATS_max > 0 ? STATS_max : 1
    set yrange [0:top*1.5]
    set ytics 0, nice(top, 4)
    set title (c == 2 ? 'peak footprint (MiB)' : c == 3 ? 'J&W #3: (F-R)/R at peak F' : \
               c == 4 ? 'J&W #4: (max F - max R)/max R' : 'failed allocations') font fsmall
    plot data using 0:c:7:xtic(1) with boxes lc rgb variable, \
         '' using 0:c:(sprintf('%.3g', column(c))) with labels rotate by 90 left offset 0,0.4 font fsmall
}
unset multiplot
