// cron-gen: the reference side of test/cron/run.sh. It generates schedules (mostly valid,
// some broken on purpose), start times and time zones from a seed, and prints what
// github.com/robfig/cron/v3 (the parser Kubernetes' CronJob uses, cron.ParseStandard) says of
// each: one line per case,
//
//	<zone> <unix start> h<schedule as hex> ERR
//	<zone> <unix start> h<schedule as hex> OK <next 1> ... <next 20> [NEVER]
//
// parsing the schedule alone as Kubernetes' validation does, and stepping it with the
// "TZ=<zone> " prefix as the CronJob controller does. NEVER: Next returned the zero time.
// REFUSED marks what dbaas-operator refuses on purpose (TZ in the schedule, @every).
// Built and run by test/cron/run.sh; never committed as a binary.
package main

import (
	"bufio"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Zones with daylight saving time at midnight (Sao Paulo, Santiago, Havana, Gaza), half-hour
// shifts (Lord_Howe), odd offsets (Kolkata, Chatham, Tehran), a day skipped (Apia 2011),
// Casablanca's Ramadan changes, the southern hemisphere (Sydney, Auckland), a negative
// daylight saving time (Dublin, whose footer GLib 2.74 reads wrong), a two-hour one (Troll),
// rules at negative hours (Nuuk) and a rule on a Friday before the last Sunday (Jerusalem).
var zones = []string{
	"UTC", "Europe/Berlin", "America/New_York", "America/Sao_Paulo", "Australia/Lord_Howe",
	"Asia/Kolkata", "Pacific/Chatham", "America/Santiago", "Asia/Tehran", "Africa/Casablanca",
	"Europe/London", "America/Havana", "Pacific/Apia", "Asia/Gaza", "Europe/Dublin",
	"Australia/Sydney", "Pacific/Auckland", "Antarctica/Troll", "America/Nuuk", "Asia/Jerusalem",
	"Etc/GMT+3",
}

var monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
var dowNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

type bounds struct {
	min, max int
	names    []string
	base     int
}

var fields = []bounds{{0, 59, nil, 0}, {0, 23, nil, 0}, {1, 31, nil, 0}, {1, 12, monthNames, 1}, {0, 6, dowNames, 0}}

func value(r *rand.Rand, b bounds, broken bool) string {
	if broken && r.Intn(4) == 0 {
		return []string{"-1", "+3", "60", "32", "7", "0", "", "x", "99999999999999999999", "1x", "İ", "FRİ", "jAn", "0x1", " "}[r.Intn(15)]
	}
	v := b.min + r.Intn(b.max-b.min+1)
	if b.names != nil && r.Intn(3) == 0 {
		n := b.names[v-b.base]
		switch r.Intn(3) {
		case 0:
			n = strings.ToUpper(n)
		case 1:
			n = strings.ToUpper(n[:1]) + n[1:]
		}
		return n
	}
	if r.Intn(20) == 0 {
		return "+" + fmt.Sprint(v)
	}
	return fmt.Sprint(v)
}

func item(r *rand.Rand, b bounds, broken bool) string {
	switch r.Intn(9) {
	case 0:
		return "*"
	case 1:
		return []string{"?", "*/1", "*-3", "?/2"}[r.Intn(4)]
	case 2:
		return "*/" + fmt.Sprint(1+r.Intn(b.max))
	case 3, 4:
		lo, hi := value(r, b, broken), value(r, b, broken)
		if !broken && r.Intn(2) == 0 {
			a := b.min + r.Intn(b.max-b.min+1)
			c := a + r.Intn(b.max-a+1)
			lo, hi = fmt.Sprint(a), fmt.Sprint(c)
		}
		s := lo + "-" + hi
		if r.Intn(3) == 0 {
			s += "/" + fmt.Sprint(1+r.Intn(7))
		}
		return s
	case 5:
		return value(r, b, broken) + "/" + fmt.Sprint(1+r.Intn(10))
	default:
		return value(r, b, broken)
	}
}

func field(r *rand.Rand, b bounds, broken bool) string {
	n := 1
	if r.Intn(3) == 0 {
		n = 2 + r.Intn(3)
	}
	parts := make([]string, n)
	for i := range parts {
		parts[i] = item(r, b, broken)
	}
	s := strings.Join(parts, ",")
	if broken && r.Intn(10) == 0 {
		s = []string{",", s + ",", "," + s, s + ",,1", "1/0", "1/2/3", "1-2-3", "5-1", "1/-1"}[r.Intn(9)]
	}
	return s
}

func schedule(r *rand.Rand) string {
	broken := r.Intn(5) == 0
	switch r.Intn(25) {
	case 0:
		return []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}[r.Intn(7)]
	case 1:
		return []string{"@Daily", " @daily", "@daily ", "@reboot", "@every 1h", "@", "", "   ", "TZ=UTC 0 * * * *",
			"CRON_TZ=UTC 0 * * * *", "0 0 30 2 *", "0 0 31 4,6,9,11 *", ", * * * *", "* , * * *", "0 0 29 2 *",
			"0 0 29 2 mon"}[r.Intn(16)]
	}
	n := 5
	if broken && r.Intn(5) == 0 {
		n = []int{4, 6, 1, 0}[r.Intn(4)]
	}
	parts := make([]string, n)
	for i := range parts {
		parts[i] = field(r, fields[i%5], broken)
	}
	seps := []string{" ", " ", " ", "  ", "\t", " \u00a0", "\u2003"}
	var sb strings.Builder
	if r.Intn(15) == 0 {
		sb.WriteString(seps[r.Intn(len(seps))])
	}
	for i, p := range parts {
		if i > 0 {
			sb.WriteString(seps[r.Intn(len(seps))])
		}
		sb.WriteString(p)
	}
	if r.Intn(15) == 0 {
		sb.WriteString(seps[r.Intn(len(seps))])
	}
	return sb.String()
}

// start: a random second in 2016..2035, or one near a local midnight or 01:00-03:00 in the
// months when daylight saving time starts or ends in either hemisphere.
func start(r *rand.Rand, loc *time.Location) int64 {
	if r.Intn(2) == 0 {
		return time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).Unix() + r.Int63n(20*365*86400)
	}
	m := []time.Month{3, 4, 9, 10, 11}[r.Intn(5)]
	t := time.Date(2016+r.Intn(20), m, 1+r.Intn(30), r.Intn(4), r.Intn(60), r.Intn(60), 0, loc)
	if r.Intn(2) == 0 {
		t = time.Date(t.Year(), t.Month(), t.Day(), 23, 30+r.Intn(30), r.Intn(60), 0, loc)
	}
	return t.Unix()
}

func main() {
	n := flag.Int("n", 4000, "cases")
	seed := flag.Int64("seed", 1, "seed")
	flag.Parse()
	r := rand.New(rand.NewSource(*seed))
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for i := 0; i < *n; i++ {
		zone := zones[r.Intn(len(zones))]
		loc, err := time.LoadLocation(zone)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cron-gen:", err)
			os.Exit(1)
		}
		spec := schedule(r)
		after := start(r, loc)
		fmt.Fprintf(w, "%s %d h%s ", zone, after, hex.EncodeToString([]byte(spec)))
		if strings.Contains(spec, "TZ") || strings.HasPrefix(spec, "@every ") {
			fmt.Fprintln(w, "REFUSED")
			continue
		}
		if _, err := parse(spec); err != nil {
			fmt.Fprintln(w, "ERR")
			continue
		}
		sched, err := parse("TZ=" + zone + " " + spec)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cron-gen: valid alone, refused with TZ:", spec, err)
			os.Exit(1)
		}
		fmt.Fprint(w, "OK")
		t := time.Unix(after, 0).UTC()
		for k := 0; k < 20; k++ {
			t = sched.Next(t)
			if t.IsZero() {
				fmt.Fprint(w, " NEVER")
				break
			}
			fmt.Fprintf(w, " %d", t.Unix())
		}
		fmt.Fprintln(w)
	}
}

// parse is Kubernetes' ParseCronScheduleWithPanicRecovery.
func parse(spec string) (s cron.Schedule, err error) {
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("invalid schedule format: %v", p)
		}
	}()
	return cron.ParseStandard(spec)
}
