# bars.gp - back ends compared on one group of runs, in ranked order (the
# rows' order: kmemsim's ranking rule), four panels: peak footprint,
# Johnstone & Wilson #3 and #4, and failures (c4 = 8) or, when no run
# failed, mean internal fragmentation (c4 = 6). A back end that did not
# serve the whole workload (column 9 = 0) is hatched. An undefined value
# (NaN) has no bar and the label n/a, never 0. Over several seeds
# (nseeds > 1) a bar is the mean and carries its 95% CI.
# data columns: 1 allocator, 2 peak footprint MiB, 3 jw3, 4 jw4,
#   5 failed_allocs, 6 mean internal fragmentation, 7 colour (0xRRGGBB),
#   8 failures (allocations + trace page allocations), 9 served, 10 rank,
#   11-15 CI half-widths of 2, 3, 4, 8, 6; 16 runs; 17 label.
# log2..log5: the panel's y axis is logarithmic (kmemsim plot decides:
# every value > 0 and max/min >= 20). rankby: the ranking's metric.
w = 2
h = 1.2
load gpdir.'/common.gp'
sub = 'ranked by '.rankby.'; hatched: did not serve the whole workload'
if (nseeds > 1) { sub = sub.sprintf('; mean and 95%% CI over %d seeds', nseeds) }
set multiplot layout 1,4 title ttl.': '.sub margins 0.05,0.99,0.2,0.74 spacing 0.055,0
set style fill solid 0.85 border -1
set boxwidth 0.7
set xrange [-0.6:*]
set autoscale xfixmax
set offsets 0, 0.6, 0, 0
set xtics rotate by 40 right font ftiny
set ytics font ftiny
set grid ytics
unset key
# a step of 1, 2 or 5 times a power of ten giving about n intervals up to x
m10(x) = 10.0**floor(log10(x))
step1(q) = (q/m10(q) <= 1 ? 1 : q/m10(q) <= 2 ? 2 : q/m10(q) <= 5 ? 5 : 10) * m10(q)
nice(x, n) = (x <= 0) ? 1 : step1(x * 1.0 / n)
lab(c) = !valid(c) ? 'n/a' : (c == 8 || c == 5) ? sprintf('%d', int(column(c) + 0.5)) : sprintf('%.3g', column(c))
do for [p=1:4] {
    c = (p == 1) ? 2 : (p == 2) ? 3 : (p == 3) ? 4 : c4
    ci = (p == 1) ? 11 : (p == 2) ? 12 : (p == 3) ? 13 : (c4 == 8) ? 14 : 15
    lg = (p == 1) ? log2 : (p == 2) ? log3 : (p == 3) ? log4 : log5
    unset logscale y
    set autoscale y
    stats data using (valid(c) ? column(c) : 0) nooutput
    top = (STATS_max > 0) ? STATS_max : 1
    stats data using ((valid(c) && column(c) > 0) ? column(c) : 1e300) nooutput
    bot = (STATS_min < 1e300) ? STATS_min : top
    if (lg) {
        set logscale y
        ylo = bot / 4.0
        set yrange [ylo:top * 30]
        set ytics autofreq
    } else {
        unset logscale y
        ylo = 0
        set yrange [0:top * 1.6]
        set ytics 0, nice(top * 1.6, 4)
    }
    set title ((p == 1) ? "peak footprint\n(MiB)" : (p == 2) ? "J&W #3: (F-R)/R\nat peak F (ratio)" : \
               (p == 3) ? "J&W #4: (max F - max R)\n/ max R (ratio)" : \
               (c4 == 8) ? "failed allocations\n(count)" : "mean internal frag.\n(A-R)/A (ratio)") font fsmall
    plot data using 0:(NaN):xtic(1) with points pt 0 ps 0, \
         '' using 0:(column(9) == 1 ? column(c) : NaN):7 with boxes lc rgb variable, \
         '' using 0:(column(9) == 1 ? NaN : column(c)):7 with boxes lc rgb variable fs pattern 4 border, \
         '' using 0:(column(16) > 1 ? column(c) : NaN):(column(ci)) with yerrorbars pt 7 ps 0 lw 0.8 lc rgb '#000000', \
         '' using 0:((valid(c) && (!lg || column(c) > 0)) ? column(c) + (valid(ci) && column(16) > 1 ? column(ci) : 0) : (lg ? ylo : 0)):(lab(c)) \
            with labels rotate by 90 left offset 0,0.35 font ftiny
}
unset multiplot
