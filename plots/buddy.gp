# buddy.gp - free blocks per order over time (as /proc/buddyinfo counts
# them), a panel per zone (rows) and back end (columns). data: float32
# matrices, one per panel, the zones of the first back end, then the
# next: a row per order 0..maxord, a column per time step (ncols steps
# over [0, xmax]); NaN: no free block, or no sample yet. zones, labels (the
# back ends), xends (where each run ended), cbmax (the most free blocks
# of any order, zone and back end). Colour: free blocks on a log scale
# shared by the panels; white: none; hatched: the run had ended.
nz = words(zones)
nb = words(labels)
w = (nb > 2) ? 2 : 1
h = 0.5 + 0.75 * nz
load gpdir.'/common.gp'
H = h * 2.45
set multiplot layout nz, nb title ttl margins (w > 1.5 ? 0.06 : 0.13), 0.88, 0.4/H, 1 - 0.5/H spacing 0.012, 0.12/H
eval("set palette defined (0 '#DEEBF7', 0.5 '#4292C6', 1 '#08306B')")
set logscale cb
set cbrange [1:(cbmax > 1 ? cbmax : 2)]
set cbtics ('1' 1, '2' 2, '5' 5, '10' 10, '20' 20, '50' 50, '100' 100, '200' 200, '500' 500, '1000' 1000, '10^4' 1e4, '10^5' 1e5, '10^6' 1e6) font ftiny
set xrange [0:xmax]
set yrange [-0.5:maxord + 0.5]
set ytics 0, 2 font ftiny
set xtics font ftiny
m10(x) = 10.0**floor(log10(x))
step1(q) = (q/m10(q) <= 1 ? 1 : q/m10(q) <= 2 ? 2 : q/m10(q) <= 5 ? 5 : 10) * m10(q)
set xtics 0, step1(xmax / 3.0)
set grid noxtics noytics
unset colorbox
set label 1 xlab at screen 0.47, screen 0.1/H center font fsmall
do for [z=1:nz] {
    do for [b=1:nb] {
        set title (z == 1 ? word(labels, b) : '') font fsmall offset 0,-0.8
        if (b == 1) { set ylabel 'zone '.word(zones, z).': order' font fsmall; set format y '%g' } else { unset ylabel; set format y '' }
        if (z == nz) { set format x '%g' } else { set format x '' }
        if (z == 1 && b == nb) {
            set colorbox user origin screen 0.905, screen 0.4/H size screen 0.018, screen 1 - 0.9/H
            set cblabel 'free blocks (log; white: none)' font ftiny
        } else {
            unset colorbox
        }
        eval(ended(word(xends, b) + 0, xmax))
        plot data binary array=(ncols, maxord + 1) skip=(4 * ncols * (maxord + 1) * ((b - 1) * nz + z - 1)) format='%float32' \
             dx=(xmax * 1.0 / ncols) dy=1 origin=(0.5 * xmax / ncols, 0) with image notitle
        unset label 1
    }
}
unset multiplot
