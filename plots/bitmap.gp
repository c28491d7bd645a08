# bitmap.gp - a page-bitmap snapshot.
# mode 'granule': matrix rows = granule within the page, columns = pages
#   the back end holds (pfn order): used red, free green (NTA's graphs).
# mode 'heat': cells of consecutive frames, colour = used fraction of the
#   held frames in the cell; white where the back end holds none.
load gpdir.'/common.gp'
set title ttl."\n".sub font fmed
unset key
set grid noxtics noytics
set tics out
if (mode eq 'granule') {
    set palette defined (0 '#1a9850', 1 '#d73027')
    set cbrange [0:1]
    unset colorbox
    set xlabel 'page held by the back end (physical order)'
    set ylabel 'offset in page (bytes)'
    set xrange [-0.5:npages-0.5]
    set yrange [-0.5:4096/granule-0.5]
    set ytics ('0' -0.5, '1024' 1024/granule-0.5, '2048' 2048/granule-0.5, '3072' 3072/granule-0.5, '4096' 4096/granule-0.5)
    plot data matrix with image pixels
} else {
    set palette defined (0 '#1a9850', 0.5 '#fee08b', 1 '#d73027')
    set cbrange [0:1]
    set cblabel 'used fraction' font fsmall
    set xlabel sprintf('offset in row (KiB; a cell is %d KiB)', cell_kib)
    set ylabel 'physical address (MiB)'
    set xrange [-0.5*cell_kib:(cols-0.5)*cell_kib]
    set yrange [base_mib+(rows-0.5)*row_mib:base_mib-0.5*row_mib]
    plot data matrix using ($1*cell_kib):(base_mib+$2*row_mib):3 with image
}
