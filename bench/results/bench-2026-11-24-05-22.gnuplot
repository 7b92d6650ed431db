set terminal pngcairo size 1400,1400 font "DejaVu Sans,11"
set output "bench/results/bench-2026-11-24-05-22.png"
set multiplot layout 3,2 title "lago-provision vs ansible-core 2.14 (pipelining, ControlPersist, forks = N), 10 tasks, 2 cores, 2026-11-24-05-22" font ",13"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set grid ytics
set key top left font ',9' samplen 1.5
$wall << EOD
"N=50" 47.887 7.753
EOD
set title "wall time (s) (log scale)"
set logscale y; set yrange [1:100]
plot $wall using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $wall using 3:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff"
set multiplot next
$cpu << EOD
"N=50" 3.01 1.69
EOD
set title "controller CPU, user+sys of all its processes (s) (log scale)"
set logscale y; set yrange [1:10]
plot $cpu using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $cpu using 3:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff"
$hcpu << EOD
"N=50" 49.29 6.93
EOD
set title "CPU used on the hosts during the run (s) (log scale)"
set logscale y; set yrange [1:100]
plot $hcpu using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $hcpu using 3:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff"
$mem << EOD
"N=50" 74.3 72.7
EOD
set title "controller peak memory, summed PSS (MB)"
unset logscale y; set yrange [0:85.445]
plot $mem using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $mem using 3:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff"
$rt << EOD
"N=50" 2.8 0.2
EOD
set title "SSH round trips per host per task"
unset logscale y; set yrange [0:3.2199999999999998]
plot $rt using 2:xtic(1) title "lago first run" lc rgb "#1f6feb", $rt using 3:xtic(1) title "lago no-op re-run" lc rgb "#79b8ff"
unset multiplot
