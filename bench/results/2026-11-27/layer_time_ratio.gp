set terminal pngcairo size 1400,620 font "sans,10"
set output 'layer_time_ratio.png'
set title "each hardening layer alone on top of fast: time (median)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 2
set yrange [0.25:*]
set ylabel "time / fast"
set xtics rotate by -25 nomirror
set grid ytics
set key outside right top
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2
plot for [i=2:10] 'layer_time_ratio.dat' using i:xtic(1) title columnheader(i)
