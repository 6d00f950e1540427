set terminal pngcairo size 1100,560 font "sans,10"
set output 'daemon_rss.png'
set title "daemon profile: resident set over time (busy and quiet phases)"
set xlabel "seconds"
set ylabel "RSS (MiB)"
set grid
set key outside right top
plot for [i=0:7] 'daemon_rss.dat' index i using 1:2 with lines lw 2 title columnheader(1)
