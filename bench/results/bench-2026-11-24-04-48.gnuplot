set terminal pngcairo size 1400,1400 font "DejaVu Sans,11"
set output "/work/main/bench/results/bench-2026-11-24-04-48.png"
set multiplot layout 3,2 title "lago-provision vs ansible-core 2.14 (pipelining, ControlPersist, forks = N), 10 tasks, 2 cores, 2026-11-24-04-48" font ",13"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set grid ytics
set key top left font ',9' samplen 1.5
$wall << EOD
"N=1" 4.021 20.773 2.363 18.199
"N=10" 20.183 85.122 7.569 58.565
"N=50" 72.416 362.633 15.56 220.027
EOD
set title "wall time (s) (log scale)"
set logscale y; set yrange [1:1000]
plot $wall using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $wall using 3:xtic(1) title "ansible first run" lc rgb "#d1242f", $wall using 4:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff", $wall using 5:xtic(1) title "ansible no-op re-run" lc rgb "#ff9492"
$ratio << EOD
"N=1" 5.2 7.7
"N=10" 4.2 7.7
"N=50" 5 14.1
EOD
set title "wall time ratio ansible / lago (higher: lago faster)"
unset logscale y; set yrange [0:16.919999999999998]
plot $ratio using 2:xtic(1) title "first run" lc rgb "#8250df", $ratio using 3:xtic(1) title "no-op re-run" lc rgb "#c297ff", $ratio using ($0-0.15):2:(sprintf("%.1fx", $2)) with labels offset 0,0.8 notitle, $ratio using ($0+0.15):3:(sprintf("%.1fx", $3)) with labels offset 0,0.8 notitle
$cpu << EOD
"N=1" 0.83 4.05 0.82 3.1
"N=10" 1.44 14.09 1.1 11.83
"N=50" 4.46 83.63 2.71 59.83
EOD
set title "controller CPU, user+sys of all its processes (s) (log scale)"
set logscale y; set yrange [0.1:1000]
plot $cpu using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $cpu using 3:xtic(1) title "ansible first run" lc rgb "#d1242f", $cpu using 4:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff", $cpu using 5:xtic(1) title "ansible no-op re-run" lc rgb "#ff9492"
$hcpu << EOD
"N=1" 0.93 4.25 0.18 2.94
"N=10" 10.89 44.09 1.97 33.81
"N=50" 64.99 254.99 11.2 185.45
EOD
set title "CPU used on the hosts during the run (s) (log scale)"
set logscale y; set yrange [0.1:1000]
plot $hcpu using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $hcpu using 3:xtic(1) title "ansible first run" lc rgb "#d1242f", $hcpu using 4:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff", $hcpu using 5:xtic(1) title "ansible no-op re-run" lc rgb "#ff9492"
$mem << EOD
"N=1" 67.8 88.3 55.9 86.9
"N=10" 68.7 223.6 63.9 235.1
"N=50" 80.4 793.2 80.5 785.3
EOD
set title "controller peak memory, summed PSS (MB)"
unset logscale y; set yrange [0:912.18]
plot $mem using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $mem using 3:xtic(1) title "ansible first run" lc rgb "#d1242f", $mem using 4:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff", $mem using 5:xtic(1) title "ansible no-op re-run" lc rgb "#ff9492"
$rt << EOD
"N=1" 3 3.2 0.4 2.5
"N=10" 3 3.2 0.4 2.5
"N=50" 3 3.2 0.4 2.5
EOD
set title "SSH round trips per host per task"
unset logscale y; set yrange [0:3.6799999999999997]
plot $rt using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $rt using 3:xtic(1) title "ansible first run" lc rgb "#d1242f", $rt using 4:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff", $rt using 5:xtic(1) title "ansible no-op re-run" lc rgb "#ff9492"
unset multiplot
