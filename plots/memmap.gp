# memmap.gp - physical memory over time, a panel per back end: x
# allocator events, y physical address (MiB); each cell coloured by the
# class (owner kind) of most of its frames. data: float32 matrices, one per
# panel one after another, rowsl[i] rows (a row per rowmib MiB of frames)
# of ncols columns (time steps over [0, xmax]); NaN: no snapshot yet, or
# the run had ended (at xends[i]); labels; pal: the palette (class i at
# value i), nclasses; keyl, keyc: the classes drawn, their colours.
n = words(labels)
nc = (n > 3) ? 3 : 1
nr = int(ceil(n * 1.0 / nc))
w = (n > 3) ? 2 : 1
h = (n > 3) ? 0.55 + 0.9 * nr : 0.55 + 0.85 * nr
load gpdir.'/common.gp'
H = h * 2.45
nk = words(keyl)
kr = int(ceil(nk * 1.0 / (w > 1.5 ? 4 : 2)))
bm = (0.12 + 0.15 * kr) / H
set multiplot layout nr, nc title ttl margins (n > 3 ? 0.07 : 0.15), 0.98, bm + 0.36 / H, 1 - 0.38 / H spacing (n > 3 ? 0.05 : 0.03), 0.4 / H
eval('set palette defined ('.pal.')')
set palette maxcolors nclasses
set cbrange [-0.5:nclasses - 0.5]
unset colorbox
set xrange [0:xmax]
set yrange [0:mib]
set tics font ftiny
set grid noxtics noytics
set label 1 xlab at screen 0.55, screen bm + 0.08 / H center font fsmall
set label 2 'physical address (MiB)' at screen 0.012, screen 0.5 * (1 + bm) center rotate by 90 font fsmall
kc = (w > 1.5) ? 4 : 2
off = 0
do for [i=1:n] {
    nrows = word(rowsl, i) + 0
    set title word(labels, i) font fsmall offset 0,-0.8
    eval(ended(word(xends, i) + 0, xmax))
    if (i == n) {
        do for [j=1:nk] { eval(legend(j, word(keyl, j), word(keyc, j), 1, kc, 0.01 + (kr - 0.5) * 0.15/H, 0.15/H)) }
    }
    unset key
    plot data binary array=(ncols, nrows) skip=off format='%float32' dx=(xmax * 1.0 / ncols) dy=rowmib \
         origin=(0.5 * xmax / ncols, 0.5 * rowmib) with image notitle
    off = off + 4 * ncols * nrows
    unset label 1
    unset label 2
}
unset multiplot
