# footprint.gp - footprint F(t) per back end (solid) and live requested
# bytes R(t) (dashed), MiB on a log axis (back ends differ by orders of
# magnitude), over allocator events. R is drawn once in grey when every
# back end had the same R, and again in a back end's colour where its R
# differs (it failed allocations, so fewer objects were live).
# files, labels, colours: the runs' series (run<ID>_ts.tsv: column 2
#   events, 3 R MiB, 5 F MiB), key labels, colours, as word lists;
# rlist: file, label, colour of each distinct R series, three words each;
# ends: the runs that ended early (events, F MiB, ..., colour, status):
#   a cross where their line ends;
# markcmd: arrows and labels of the phase marks; xscale, xlab, xmax.
h = 1.25
load gpdir.'/common.gp'
set title ttl offset 0,0.35
set xlabel xlab
set ylabel 'memory (MiB, log scale)'
set logscale y
set mytics 10
set xrange [0:xmax]
# four decades below the largest footprint: startup transients under a
# ten-thousandth of the peak run off the bottom rather than squash the rest
fmax = 0
do for [i=1:words(files)] {
    stats word(files,i) using 5 nooutput
    fmax = (STATS_max > fmax) ? STATS_max : fmax
}
if (fmax > 0) { set yrange [10**(floor(log10(fmax)) - 3):10**(ceil(log10(fmax * 1.05)))] }
eval(keybelow(words(labels) + 2))
eval(markcmd)
plot for [i=1:words(files)] word(files,i) using ($2*xscale):($5 > 0 ? $5 : NaN) with steps lw 1.2 lc rgb word(colours,i) title word(labels,i), \
     for [i=1:words(rlist)/3] word(rlist,3*i-2) using ($2*xscale):($3 > 0 ? $3 : NaN) with steps lw 1.0 dt (6,4) lc rgb word(rlist,3*i) notitle, \
     ends using ($1*xscale):2:6 with points pt 2 ps 1.0 lw 1.5 lc rgb variable notitle, \
     keyentry with lines lw 1.2 lc rgb '#404040' title 'F: footprint', \
     keyentry with lines lw 1.0 dt (6,4) lc rgb '#404040' title 'R: live bytes'
