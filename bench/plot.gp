# bench/plot.gp - the chart of bench/RESULTS.md (called by bench/report.sh with
# mapdat, milterdat and out set on the command line).
set terminal pngcairo size 1200,900 font ",10"
set output out
set multiplot layout 2,1
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set offsets 0.6, 0.6, 0, 0
set key top right autotitle columnheader
set grid ytics
set yrange [0:*]
set xtics rotate by -20 noenhanced
set ylabel "queries/s (median)"
set title "Policy map (socketmap): ours vs postfix-mta-sts-resolver vs trivial server"
plot mapdat using 2:xtic(1), '' using 3, '' using 4
set ylabel "messages/s (median)"
set title "Milter, 4 sessions: ours (tagging; default / Probe no) vs no-op libmilter milter (plain / adding a header)"
plot milterdat using 2:xtic(1), '' using 3, '' using 4, '' using 5
unset multiplot
