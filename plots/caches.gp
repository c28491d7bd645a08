# caches.gp - the largest caches: bytes in live objects, in free object
# slots, and slab waste (pages not divided into objects), KiB.
load gpdir.'/common.gp'
set title ttl font fmed
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border -1
set boxwidth 0.75
set ylabel 'KiB'
set yrange [0:*]
set xtics rotate by 40 right font fsmall
set key top right
set grid ytics
plot data using 2:xtic(1) lc rgb '#d73027' title 'objects in use', \
     '' using 3 lc rgb '#1a9850' title 'free slots', \
     '' using 4 lc rgb '#bdbdbd' title 'slab waste'
