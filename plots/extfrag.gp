# extfrag.gp - Gorman's unusable free space index (index = 'unusable') or
# fragmentation index (index = 'fragindex') per order over time, a panel
# per order 1..maxord, one line per back end (mmtests' extfrag graphs).
# files: run<ID>_extfrag.tsv per run: column 1 events, 2+k the unusable
# index of order k, 3+maxord+k the fragmentation index of order k (NaN:
# undefined, or no failure to explain: no line); labels, colours, xscale,
# xlab, xmax, maxord.
ncol = (maxord >= 5) ? 5 : maxord
nrow = int(ceil(maxord * 1.0 / ncol))
w = 2
h = 0.55 + 0.8 * nrow
load gpdir.'/common.gp'
H = h * 2.45
kr = int(ceil(words(files) / 6.0))
set multiplot layout nrow, ncol title ttl margins 0.07, 0.99, 0.42/H, 1 - (0.42 + 0.14*kr)/H spacing 0.02, 0.28/H
set xrange [0:xmax]
set yrange [-0.03:1.03]
set ytics 0, 0.5, 1 font ftiny
m10(x) = 10.0**floor(log10(x))
step1(q) = (q/m10(q) <= 1 ? 1 : q/m10(q) <= 2 ? 2 : q/m10(q) <= 5 ? 5 : 10) * m10(q)
set xtics 0, step1(xmax / 4.0) font ftiny
off = (index eq 'fragindex') ? maxord + 1 : 0
set label 1 xlab at screen 0.53, screen 0.1/H center font fsmall
set label 2 (index eq 'fragindex' ? 'fragmentation index (0-1)' : 'unusable free space index (0-1)') at screen 0.012, screen 0.5 center rotate by 90 font fsmall
nl = words(files)
do for [k=1:maxord] {
    set title sprintf('order %d (%s)', k, ordsize(k)) font ftiny offset 0,-0.8
    if (k == 1) {
        do for [j=1:nl] { eval(legend(j, word(labels, j), word(colours, j), 0, 6, 1 - 0.3/H, 0.14/H)) }
    }
    if ((k - 1) % ncol == 0) { set format y '%g' } else { set format y '' }
    if (k > maxord - ncol) { set format x '%g' } else { set format x '' }
    # a panel with no defined value says why, rather than look broken
    ndef = 0
    do for [i=1:words(files)] {
        stats word(files,i) using (valid(2 + off + k) ? 1 : 0) nooutput
        ndef = ndef + STATS_sum
    }
    if (ndef == 0) {
        set label 5 (index eq 'fragindex' ? "n/a: such an allocation\nwould have succeeded" : "n/a") at graph 0.5, graph 0.5 center font ftiny tc rgb '#606060'
    } else {
        unset label 5
    }
    plot for [i=1:words(files)] word(files,i) using ($1*xscale):(column(2 + off + k)) with steps lw 1.0 lc rgb word(colours,i) notitle
    unset label 1
    unset label 2
    eval(legendclear(nl))
}
unset multiplot
