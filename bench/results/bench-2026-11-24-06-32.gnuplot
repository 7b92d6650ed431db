set terminal pngcairo size 1400,1400 font "DejaVu Sans,11"
set output "/work/main/bench/results/bench-2026-11-24-06-32.png"
set multiplot layout 3,2 title "lago-provision vs ansible-core 2.14 (pipelining, ControlPersist, forks = N), 10 tasks, 2 cores, 2026-11-24-06-32" font ",13"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set grid ytics
set key top left font ',9' samplen 1.5
$wall << EOD
"N=50" 30.603 198.813 5.903 118.483
EOD
set title "wall time (s) (log scale)"
set logscale y; set yrange [1:1000]
plot $wall using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $wall using 3:xtic(1) title "ansible first run" lc rgb "#d1242f", $wall using 4:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff", $wall using 5:xtic(1) title "ansible no-op re-run" lc rgb "#ff9492"
$ratio << EOD
"N=50" 6.5 20.1
EOD
set title "wall time ratio ansible / lago (higher: lago faster)"
unset logscale y; set yrange [0:24.12]
plot $ratio using 2:xtic(1) title "first run" lc rgb "#8250df", $ratio using 3:xtic(1) title "no-op re-run" lc rgb "#c297ff", $ratio using ($0-0.15):2:(sprintf("%.1fx", $2)) with labels offset 0,0.8 notitle, $ratio using ($0+0.15):3:(sprintf("%.1fx", $3)) with labels offset 0,0.8 notitle
$cpu << EOD
"N=50" 2.89 55.78 1.26 44.31
EOD
set title "controller CPU, user+sys of all its processes (s) (log scale)"
set logscale y; set yrange [1:100]
plot $cpu using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $cpu using 3:xtic(1) title "ansible first run" lc rgb "#d1242f", $cpu using 4:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff", $cpu using 5:xtic(1) title "ansible no-op re-run" lc rgb "#ff9492"
$hcpu << EOD
"N=50" 48.95 209.13 7.2 152.23
EOD
set title "CPU used on the hosts during the run (s) (log scale)"
set logscale y; set yrange [1:1000]
plot $hcpu using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $hcpu using 3:xtic(1) title "ansible first run" lc rgb "#d1242f", $hcpu using 4:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff", $hcpu using 5:xtic(1) title "ansible no-op re-run" lc rgb "#ff9492"
$mem << EOD
"N=50" 90.5 816 90.5 820.6
EOD
set title "controller peak memory, summed PSS (MB)"
unset logscale y; set yrange [0:943.6899999999999]
plot $mem using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $mem using 3:xtic(1) title "ansible first run" lc rgb "#d1242f", $mem using 4:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff", $mem using 5:xtic(1) title "ansible no-op re-run" lc rgb "#ff9492"
$rt << EOD
"N=50" 3 3.2 0.4 2.5
EOD
set title "SSH round trips per host per task"
unset logscale y; set yrange [0:3.6799999999999997]
plot $rt using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $rt using 3:xtic(1) title "ansible first run" lc rgb "#d1242f", $rt using 4:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff", $rt using 5:xtic(1) title "ansible no-op re-run" lc rgb "#ff9492"
unset multiplot
