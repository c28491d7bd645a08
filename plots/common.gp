# common.gp - the terminal, fonts and styles every kmemsim figure shares.
#
# Figures are drawn for a paper: w = 1 is one column of a two-column
# paper (3.5 in), w = 2 the page's width (7.16 in); h = 1 is 2.45 in
# tall. Text is 7 pt in the PDF (6-6.5 pt for ticks and keys) (pdfcairo's hidden default fontscale,
# 0.5, would halve it); the PNG is the same figure at 200 dpi, the SVG at
# 72 dpi, so all three read alike. Set by kmemsim plot: fmt (png | pdf |
# svg), out, gpdir, ttl; by the script before it loads this file: w, h.
reset
if (!exists("w")) w = 1.0
if (!exists("h")) h = 1.0
inch_w = (w > 1.5) ? 7.16 : 3.5*w
inch_h = 2.45*h
dpi = 200
if (fmt eq 'pdf') {
    set terminal pdfcairo size inch_w, inch_h noenhanced font 'Helvetica,7' fontscale 1.0 linewidth 1.0 rounded
} else {
    if (fmt eq 'svg') {
        set terminal svg size int(inch_w*72), int(inch_h*72) dynamic noenhanced font 'Helvetica,7' linewidth 0.75 rounded background '#ffffff'
    } else {
        set terminal pngcairo size int(inch_w*dpi), int(inch_h*dpi) noenhanced font 'Helvetica,7' fontscale dpi/72.0 linewidth dpi/72.0*0.75 rounded background '#ffffff'
    }
}
set output out
set encoding utf8
fsmall = ',6.5'
ftiny = ',6'
set border 3 lw 0.8
set tics nomirror out scale 0.5 font fsmall
set grid lc rgb '#E4E4E4' lw 0.6
set format x '%g'
set format y '%g'
set format cb '%g'
set key noopaque samplen 1.5 spacing 1.0 font fsmall
# Keys are placed by hand (gnuplot's own "below" overlaps the x label at
# these sizes): keybelow(n) gives the commands that reserve the bottom
# margin for n entries in rows of keycols and put the key there.
keycols = (w > 1.5) ? 6 : 3
keyrows(n) = int(ceil(n * 1.0 / keycols))
keybelow(n) = sprintf("set bmargin %g; set key at screen 0.5, screen 0.01 center bottom horizontal maxcols %d width -1 font '%s' samplen 1.5 spacing 1.0", \
    3.9 + keyrows(n) * 1.0, keycols, ftiny)
# A legend drawn by hand across the figure (a multiplot's key is confined
# to one panel's width): entry j of n, label lab, colour col, a box (box
# = 1) or a line sample, in rows of cols entries centred on the figure,
# the first row at screen height ytop, rows dy apart. eval() its result
# before one panel's plot and legendclear(n) after it.
legx(j, cols) = 0.5 + (((j - 1) % cols) - (cols - 1) / 2.0) * (0.94 / cols) - 0.47 / cols + 0.01
legy(j, cols, ytop, dy) = ytop - int((j - 1) / cols) * dy
legend(j, lab, col, box, cols, ytop, dy) = (box ? \
    sprintf("set object %d rect center screen %.4f, screen %.4f size screen %.4f, screen %.4f fc rgb '%s' fs solid 1.0 border lc rgb '#888888' front; ", \
        300 + j, legx(j, cols) + 0.012 / w, legy(j, cols, ytop, dy), 0.02 / w, 0.6 * dy, col) : \
    sprintf("set arrow %d from screen %.4f, screen %.4f to screen %.4f, screen %.4f nohead lw 1.2 lc rgb '%s' front; ", \
        300 + j, legx(j, cols), legy(j, cols, ytop, dy), legx(j, cols) + 0.03 / w, legy(j, cols, ytop, dy), col)) . \
    sprintf("set label %d '%s' at screen %.4f, screen %.4f left font '%s' front", 300 + j, lab, legx(j, cols) + 0.036 / w, legy(j, cols, ytop, dy), ftiny)
legendclear(n) = sprintf("do for [q=301:%d] { unset object q; unset arrow q; unset label q }", 300 + n)
# shade [xe, xmax] of the current plot: the run had ended there
ended(xe, xm) = (xe < xm * 0.999) ? sprintf("set object 9 rect from %.9g, graph 0 to %.9g, graph 1 fc rgb '#A0A0A0' fs transparent pattern 4 noborder front; set label 9 'run ended' at %.9g, graph 0.5 center rotate by 90 font '%s' tc rgb '#606060' front", xe, xm, (xe + xm) / 2, ftiny) : "unset object 9; unset label 9"
# the name of 2^k pages: '8 KiB', '2 MiB'
ordsize(k) = (k >= 8) ? sprintf('%d MiB', 2**(k-8)) : sprintf('%d KiB', 4*2**k)
# Okabe & Ito's colour-blind-safe set, the back-end colours (kmemsim plot
# passes each back end's own, the same in every figure)
array C[8] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999']
# cividis, a colour-blind-safe sequential palette: 0 yellow (free), 1 dark blue (used)
cividis = "0 '#FFEA46', 0.25 '#BCAF6F', 0.5 '#7C7B78', 0.75 '#414D6B', 1 '#00204D'"
