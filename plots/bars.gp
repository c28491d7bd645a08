# bars.gp - back ends compared on one input: peak footprint, Johnstone &
# Wilson #3 and #4, failures (failed allocations and page allocations);
# one panel each, about four y tics
# per panel so the short panels stay legible. Bars in ranked order (the
# rows' order: kmemsim's ranking rule). A back end that failed
# allocations (column 9, served, is 0) is hatched, its count (column 8)
# in the last panel; an undefined value (NaN in the data) has no bar and the label
# "n/a", never 0.
# data: allocator peak_footprint_MiB jw3 jw4 failed mean_internal_frag
#       colour failures served rank
# (colour: 0xRRGGBB as an integer, each back end's colour as in the line
# figures; failures: failed allocations and failed page allocations;
# served: 1 when the back end served the whole workload)
# rankby: what the ranking used (set by kmemsim plot).
h = 1.5
load gpdir.'/common.gp'
if (!exists("rankby")) rankby = 'peak footprint'
# a step of 1, 2 or 5 times a power of ten giving about n intervals up to x
m10(x) = 10.0**floor(log10(x))
step1(q) = (q/m10(q) <= 1 ? 1 : q/m10(q) <= 2 ? 2 : q/m10(q) <= 5 ? 5 : 10) * m10(q)
nice(x, n) = (x <= 0) ? 1 : step1(x * 1.0 / n)
# value of column c, 0 where undefined (label position, y range)
v0(c) = valid(c) ? column(c) : 0
lab(c) = !valid(c) ? 'n/a' : c == 8 ? sprintf('%d', int(column(c))) : sprintf('%.3g', column(c))
set multiplot layout 2,2 title ttl."\nranked by ".rankby."; hatched: failed allocations" font fmed
set style fill solid 0.85 border -1
set boxwidth 0.7
set xrange [-0.6:*]
set autoscale xfixmax
set offsets 0, 0.6, 0, 0
set xtics rotate by 40 right font fsmall
set grid ytics
unset key
do for [col in "2 3 4 8"] {
    c = int(col)
    set autoscale y
    stats data using (v0(c)) nooutput
    top = STATS_max > 0 ? STATS_max : 1
    set yrange [0:top*1.5]
    set ytics 0, nice(top, 4)
    set title (c == 2 ? 'peak footprint (MiB)' : c == 3 ? 'J&W #3: (F-R)/R at peak F' : \
               c == 4 ? 'J&W #4: (max F - max R)/max R' : 'failures (allocations + pages)') font fsmall
    plot data using 0:(0):xtic(1) with points pt 0 ps 0, \
         '' using 0:(column(9) == 1 ? column(c) : NaN):7 with boxes lc rgb variable, \
         '' using 0:(column(9) == 1 ? NaN : column(c)):7 with boxes lc rgb variable fs pattern 4 border, \
         '' using 0:(v0(c)):(lab(c)) with labels rotate by 90 left offset 0,0.4 font fsmall
}
unset multiplot
