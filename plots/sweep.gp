# sweep.gp - a metric against a swept parameter: one line per back end,
# the mean over seeds with its 95% CI (error bars when nseeds > 1); a
# filled mark where the back end served the whole workload in every seed,
# an open one where it did not. data columns: 1 x (the value, or its index
# when the parameter is not a number), 2 the value as written, then per
# back end b (b = 1..nb): 3+4(b-1) mean, 4+4(b-1) 95% CI half-width,
# 5+4(b-1) served (1/0), 6+4(b-1) runs. labels, colours: the back ends;
# xlab, ylab: the parameter and the metric; logx: log x axis (kmemsim
# plot decides: every x > 0 and max/min >= 8); numeric: 0 for categories.
h = 1.25
load gpdir.'/common.gp'
set title ttl
set xlabel xlab
set ylabel ylab
if (logx) { set logscale x 2 }
if (!numeric) { set xtics () ; set offsets 0.3, 0.3, 0, 0 }
set yrange [0:*]
set offsets graph 0.02, graph 0.02, graph 0.05, 0
eval(keybelow(nb))
mean(b) = 3 + 4*(b-1)
# xtic labels from column 2 for a parameter that is not a number
xt = numeric ? '' : ':xtic(2)'
plot for [b=1:nb] data using 1:(column(mean(b))):(nseeds > 1 ? column(mean(b)+1) : 0) \
        with yerrorbars pt 7 ps 0.5 lw 0.8 lc rgb word(colours,b) notitle, \
     for [b=1:nb] data using 1:(column(mean(b))) with lines lw 1.2 lc rgb word(colours,b) title word(labels,b), \
     for [b=1:nb] data using 1:(column(mean(b)+2) == 1 ? NaN : column(mean(b))) \
        with points pt 6 ps 1.0 lw 1.0 lc rgb word(colours,b) notitle, \
     data using 1:(NaN)@xt notitle
