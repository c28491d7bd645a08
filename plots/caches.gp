# caches.gp - the caches holding the most pages at peak footprint (the
# rest summed as "others"), a panel per back end: bytes in live objects,
# in free object slots, and slab waste (pages not divided into objects),
# stacked horizontal bars in unit (KiB or MiB), each panel its own scale,
# the total beside each bar. data: a block per back end (labels), blocks two blank
# lines apart; columns 1 cache, 2 used, 3 free slots, 4 slab waste,
# 5 pages, 6 run; most: the most bars of a panel.
nb = words(labels)
nc = (nb > 3) ? 3 : nb
nr = int(ceil(nb * 1.0 / nc))
w = (nb > 1) ? 2 : 1
h = 0.45 + (0.35 + 0.085 * most) * nr
load gpdir.'/common.gp'
H = h * 2.45
set datafile separator '\t'
set multiplot layout nr, nc title ttl margins 0.13, 0.98, 0.45/H, 1 - 0.55/H spacing 0.19, 0.5/H
set style fill solid 0.9 border rgb '#404040'
set yrange [most - 0.5:-0.5]
set ytics font ftiny scale 0
set xtics font ftiny
set grid xtics noytics
set xlabel unit font ftiny offset 0,0.5
unset key
bh = 0.35
m10(x) = 10.0**floor(log10(x))
step1(q) = (q/m10(q) <= 1 ? 1 : q/m10(q) <= 2 ? 2 : q/m10(q) <= 5 ? 5 : 10) * m10(q)
do for [b=1:nb] {
    set title word(labels, b) font fsmall offset 0,-0.8
    set autoscale xy
    stats data index (b - 1) using ($2 + $3 + $4) nooutput
    xm = (STATS_max > 0 ? STATS_max : 1) * 1.35
    set xrange [0:xm]
    set xtics 0, step1(xm / 3.0)
    set yrange [most - 0.5:-0.5]
    if (b == 1) {
        do for [j=1:3] { eval(legend(j, word("'live objects' 'free slots' 'slab waste'", j), word('#0072B2 #E69F00 #999999', j), 1, 3, 1 - 0.33/H, 0.1/H)) }
    }
    plot data index (b - 1) using ($2 / 2):0:(0):($2):($0 - bh):($0 + bh):ytic(1) with boxxyerror lc rgb '#0072B2', \
         '' index (b - 1) using ($2 + $3 / 2):0:($2):($2 + $3):($0 - bh):($0 + bh) with boxxyerror lc rgb '#E69F00', \
         '' index (b - 1) using ($2 + $3 + $4 / 2):0:($2 + $3):($2 + $3 + $4):($0 - bh):($0 + bh) with boxxyerror lc rgb '#999999', \
         '' index (b - 1) using ($2 + $3 + $4):0:(sprintf(' %.3g', $2 + $3 + $4)) with labels left font ftiny
    eval(legendclear(3))
}
unset multiplot
