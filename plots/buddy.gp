# buddy.gp - the buddy allocator over time: free blocks per order (colour:
# log10(1 + blocks)) and Gorman's unusable free space index per order
# (0 = every free page usable for the order, 1 = none).
# data columns: x order x_lo x_hi free_blocks log10(1+blocks) unusable fragindex
h = 1.6
load gpdir.'/common.gp'
set multiplot layout 2,1 title ttl font fmed
set xlabel xlab
set ylabel 'order'
set yrange [-0.5:maxord+0.5]
set ytics 0,2
set xrange [*:*] noextend
set style fill solid 1.0 noborder
set palette defined (0 '#ffffff', 1 '#9ecae1', 2 '#3182bd', 3 '#08306b', 4 '#000000')
set cbrange [0:*]
set cblabel 'log10(1 + free blocks)' font fsmall
unset key
set title 'free blocks per order' font fsmall
plot data using 1:2:3:4:($2-0.5):($2+0.5):6 with boxxyerror fc palette
set palette defined (0 '#1a9850', 0.5 '#fee08b', 1 '#d73027')
set cbrange [0:1]
set cblabel 'unusable index' font fsmall
set title 'unusable free space index (Gorman)' font fsmall
plot data using 1:2:3:4:($2-0.5):($2+0.5):7 with boxxyerror fc palette
unset multiplot
