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
    # x in KiB, or MiB for long rows
    xs = (cols*cell_kib >= 16384) ? cell_kib/1024.0 : cell_kib
    xu = (cols*cell_kib >= 16384) ? 'MiB' : 'KiB'
    set xlabel sprintf('offset in row (%s; a cell is %d KiB)', xu, cell_kib)
    set ylabel 'physical address (MiB)'
    set xrange [-0.5*xs:(cols-0.5)*xs]
    set yrange [base_mib+(rows-0.5)*row_mib:base_mib-0.5*row_mib]
    plot data matrix using ($1*xs):(base_mib+$2*row_mib):3 with image
}
