# common.gp - terminal and style shared by every kmemsim figure.
# Figures are drawn for a paper's column: 3.5 in wide, 9 pt text.
# PNG: 1050 px wide (300 dpi); SVG: 504 px (144 dpi). Variables set by
# `kmemsim plot`: term (pngcairo | png | svg), out, and h (height factor).
if (!exists("h")) h = 1.0
fs = (term eq 'svg') ? 16 : 26
fmed = sprintf(',%g', fs*0.92)
fsmall = sprintf(',%g', fs*0.8)
if (term eq 'svg') {
    set terminal svg size 504, int(400*h) dynamic noenhanced font 'Helvetica,16' linewidth 1.5 background '#ffffff'
} else {
    if (term eq 'pngcairo') {
        set terminal pngcairo size 1050, int(710*h) noenhanced font 'Helvetica,26' linewidth 3 background '#ffffff'
    } else {
        set terminal png size 1050, int(710*h) font 'Sans,26' linewidth 3 background '#ffffff'
    }
}
set output out
set encoding utf8
set border 3 lw 1
set tics nomirror out scale 0.6
set grid lc rgb '#e0e0e0' lw 1
set autoscale xfix
set key top left noopaque samplen 1.5 spacing 0.95 font fsmall
# colour-blind-safe line colours (Okabe & Ito), one per back end
array C[8] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999']
