# bitmap.gp - a page-bitmap snapshot.
# mode 'chunks' (NTA's picture): a row per page the back end holds, in
#   physical order, in bands of rows pages side by side (a gap between
#   bands), a column per chunk (granule bytes); a cell averages fx x fy
#   chunks when the picture would be too large: the colour is the used
#   fraction (cividis: yellow free, dark blue in use). data: the matrix,
#   float32, cw x ch cells, NaN between bands and past the last page.
# mode 'density': cells of cell_mib MiB of physical memory from base_mib,
#   cols cells a row (rows rows, float32); colour: the used fraction of the
#   held pages in the cell; white (NaN): no page held there.
w = wide ? 2 : 1
h = wide ? 2.3 : 1.5
load gpdir.'/common.gp'
set title ttl."\n".sub
set tics out
set grid noxtics noytics
eval('set palette defined ('.cividis.')')
set cbrange [0:1]
set cbtics 0, 0.25, 1 font ftiny
eval(keybelow(2))
if (mode eq 'chunks') {
    set xrange [-0.5:bands * (per + gap) - gap - 0.5]
    set yrange [rows - 0.5:-0.5]
    xl = ''
    x2l = ''
    lastp(b) = ((b + 1) * rows < npages ? (b + 1) * rows : npages) - 1
    do for [b=0:bands - 1] {
        x0 = b * (per + gap) - 0.5
        xl = xl.sprintf("'0' %g, '%d' %g, ", x0, per * granule / 2, x0 + per / 2.0)
        x2l = x2l.sprintf("%s'pages %d-%d' %g", b ? ', ' : '', b * rows, lastp(b), x0 + per / 2.0)
    }
    xl = xl.sprintf("'%d' %g", per * granule, bands * (per + gap) - gap - 0.5)
    eval("set xtics (".xl.") out nomirror font ftiny")
    eval("set x2tics (".x2l.") out nomirror font ftiny scale 0")
    set x2range [-0.5:bands * (per + gap) - gap - 0.5]
    set xlabel sprintf('offset in each page (bytes): a row is one page, %d chunks of %d B', per, granule) font ftiny
    set ylabel 'page in band (physical order)'
    if (fx == 1 && fy == 1) {
        unset colorbox
        plot data binary array=(cw, ch) format='%float32' with image notitle, \
             keyentry with boxes fc rgb '#00204D' fs solid 1.0 title 'chunk in use', \
             keyentry with boxes fc rgb '#FFEA46' fs solid 1.0 border lc rgb '#888888' title 'free chunk'
    } else {
        set cblabel 'used fraction of the cell' font ftiny
        plot data binary array=(cw, ch) format='%float32' dx=fx dy=fy origin=((fx - 1) / 2.0, (fy - 1) / 2.0) with image notitle
    }
} else {
    set xlabel 'offset in row (MiB)'
    set ylabel 'physical address (MiB)'
    set cblabel 'used fraction of held pages' font ftiny
    set xrange [0:cols * cell_mib]
    set yrange [base_mib + rows * cols * cell_mib:base_mib]
    plot data binary array=(cols, rows) format='%float32' dx=cell_mib dy=(cols * cell_mib) \
         origin=(0.5 * cell_mib, base_mib + 0.5 * cols * cell_mib) with image notitle, \
         keyentry with boxes fc rgb '#FFFFFF' fs solid 1.0 border lc rgb '#888888' title 'no page held'
}
