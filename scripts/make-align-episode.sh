#!/usr/bin/env bash
# Test episodes with known truth, for measuring transcript alignment (issue 8).
#
#   scripts/make-align-episode.sh [MINUTES] [SEED] [OUT_DIR]      # prints OUT_DIR
#
# Writes, for about MINUTES of speech (default 2) made from SEED (default 1):
#   episode.mp3      two espeak-ng voices (en-us+m3, en-gb+f2) at varied speeds, paragraph by
#                    paragraph, uneven pauses between sentences (0.15–0.6 s) and paragraphs
#                    (0.3–2.5 s), an intro jingle, a low pink-noise bed; VBR MP3 (-q:a 4)
#   truth.json       {"duration", "paragraphs": [{"start", "end", "speaker", "text"}]}
#   transcript.txt   the untimed transcript: `Name: paragraph` lines (a speaker's further
#                    paragraphs unlabelled), a few `[inaudible 00:01:47]` marks whose times come
#                    from the truth (the start of the sentence they precede, rounded down)
#   ad.mp3           the same episode with a 20–40 s ad (a third voice between two tones)
#                    inserted between two paragraphs 30–70 % of the way in
#   ad.vtt           the publisher's timed transcript, made before the ad went in (its times
#                    are episode.mp3's: stale for ad.mp3 and pre.mp3)
#   ad-truth.json    the truth of ad.mp3 (plus "adStart", "adLength", "adAfterParagraph")
#   pre.mp3          the episode with a 20–40 s pre-roll ad (a fourth voice over a music bed)
#                    before everything, jingle included
#   pre-truth.json   the truth of pre.mp3 ("adStart" 0, "adLength")
#   removed.vtt      the publisher's timed transcript of ad.mp3 (the ad's sentences included,
#                    as `<v Sponsor>` cues): for episode.mp3, a copy without that ad, its times
#                    after the ad are late by the ad's length
# Everything is generated from a word list and a small grammar (no outside text).
# With ALIGN_VARIED=1 the delivery is less regular: each speaker's pace drifts within a
# paragraph (up to ±18 % from its first sentence to its last, ±5 % sentence to sentence), the
# other speaker puts in short interjections ("Yeah.", "Mm-hm.") between sentences that the
# transcript leaves out, a third of the turns are quick (20–150 ms), and a music bed plays
# under the intro (the first 15 s, fading out).
# OUT_DIR defaults to $TMPDIR/earshot-align/v4-m<MINUTES>-s<SEED> (r4-… when varied); an
# existing complete one is reused. Needs espeak-ng, sox and ffmpeg (apt-get install -y
# espeak-ng sox ffmpeg).
set -euo pipefail

minutes="${1:-2}"
seed="${2:-1}"
varied="${ALIGN_VARIED:-0}"
[ "$varied" = 1 ] || varied=0
kind=v4
[ "$varied" = 1 ] && kind=r4
out="${3:-${TMPDIR:-/tmp}/earshot-align/${kind}-m${minutes}-s${seed}}"

if [ -f "$out/done" ]; then
  echo "$out"
  exit 0
fi
missing=()
for tool in espeak-ng sox ffmpeg awk; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "make-align-episode: missing ${missing[*]} (apt-get install -y espeak-ng sox ffmpeg)" >&2
  exit 2
fi

mkdir -p "$(dirname "$out")"
work="$(mktemp -d "${out}.tmp.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/s"
RATE=22050

# 1. The plan: every random choice, made by one awk program from the seed.
#    P <para> <speaker> <labelled> <pause-before-samples>
#    S <para> <sent> <voice> <speed> <pitch> <pause-before-samples> <mark 0/1> <text>
#    I <para> <sent> <voice> <speed> <pitch> <text> (an interjection before sentence <sent>)
#    A <sent> <voice> <speed> <pitch> <text>       (the ad)
#    B <sent> <voice> <speed> <pitch> <text>       (the pre-roll ad)
#    C <ad-after-paragraph>
awk -v seed="$seed" -v minutes="$minutes" -v rate="$RATE" -v varied="$varied" '
function pick(list,   a, n) { n = split(list, a, "|"); return a[int(rand() * n) + 1] }
function between(lo, hi) { return lo + rand() * (hi - lo) }
function noun()  { return pick("system|river|garden|library|engine|harbour|market|signal|painting|journey|kitchen|bridge|server|record|forest|festival|camera|pattern|village|network|concert|station|letter|ladder|island|window|recipe|museum|problem|answer|bicycle|lantern|mountain|theory|student|teacher|doctor|farmer|pilot|captain|neighbour|council|company|project|budget|season|morning|evening|winter|summer|battery|planet|ocean|valley|desert|castle|tunnel|machine|program|question") }
function adj()   { return pick("quiet|bright|careful|simple|strange|modern|ancient|gentle|heavy|narrow|useful|curious|patient|sudden|steady|hidden|local|remote|early|honest|noisy|tiny|enormous|broken|golden|silver|clever|distant|familiar|rapid|fragile|painful|perfect|common|rare") }
function verb()  { return pick("built|found|measured|painted|opened|repaired|described|borrowed|followed|changed|tested|counted|carried|watched|explained|improved|remembered|planned|visited|studied|recorded|wrote|moved|cleaned|designed|shared|answered|collected|started|finished") }
function adv()   { return pick("slowly|carefully|quickly|honestly|finally|usually|rarely|eventually|suddenly|quietly|mostly|certainly|probably|gradually") }
function place() { return pick("in the morning|after the storm|near the old " noun() "|before the holidays|at the end of the year|during the second week|on the north side|behind the " noun() "|across the " adj() " " noun() "|for about three hours|with a " adj() " " noun()) }
function who()   { return pick("we|they|my brother|the team|our " noun() "|a friend of mine|the whole group|nobody|everyone|the " adj() " " noun()) }
function a_(w)   { return (w ~ /^[aeiou]/ ? "an " : "a ") w }
function cap(s)  { return toupper(substr(s, 1, 1)) substr(s, 2) }
function sentence(   t, r) {
  r = rand()
  if (r < 0.22)      t = "the " adj() " " noun() " " verb() " the " noun() " " place()
  else if (r < 0.40) t = "i think " who() " " verb() " the " noun() " because the " noun() " was " adj()
  else if (r < 0.55) t = who() " " adv() " " verb() " " a_(adj()) " " noun() " and then the " noun() " " verb() " it " place()
  else if (r < 0.67) t = "when " who() " " verb() " the " noun() ", " who() " " verb() " the " adj() " " noun()
  else if (r < 0.77) t = "it was " a_(adj()) " " noun() ", and " who() " " verb() " it " place()
  else if (r < 0.87) t = "so the " noun() " and the " noun() " were " adj() ", but " who() " " verb() " the " noun() " anyway"
  else               t = "my " noun() " " verb() " every " adj() " " noun() " " place() ", and " who() " " adv() " " verb() " the rest"
  return cap(t) "."
}
function question(   t, r) {
  r = rand()
  if (r < 0.35)      t = "how did " who() " find the " adj() " " noun()
  else if (r < 0.65) t = "what happened to the " noun() " " place()
  else               t = "why do you think the " noun() " was so " adj()
  return cap(t) "?"
}
function short() { return pick("Right.|Yeah, exactly.|Okay.|That makes sense.|Sure.|Interesting.|Mm, I see.|Really?|No, go on.|Absolutely.") }
function sec2samp(s) { return int(s * rate + 0.5) }
BEGIN {
  srand(seed)
  voice["Nadia"] = "en-gb+f2"; pitch0["Nadia"] = 55
  voice["Oscar"] = "en-us+m3"; pitch0["Oscar"] = 40
  budget = minutes * 60 - 6        # seconds of speech and pauses after the jingle
  used = 0; para = 0; sent = 0; cur = ""
  while (used < budget) {
    # Who speaks: mostly turns; the guest often goes on in a further, unlabelled paragraph.
    if (cur == "") spk = "Nadia"
    else if (cur == "Oscar" && rand() < 0.3) spk = "Oscar"
    else spk = (cur == "Nadia") ? "Oscar" : "Nadia"
    labelled = (spk != cur) ? 1 : 0
    # How much: a short reply, a question, or a long answer.
    r = rand()
    if (spk == "Nadia") n = (r < 0.3) ? -1 : (r < 0.75 ? 1 + int(rand() * 2) : 2 + int(rand() * 3))
    else n = (r < 0.15) ? -1 : (r < 0.9 ? 1 + int(rand() * 4) : 5 + int(rand() * 4))
    speed = int(between(150, 190)); p = pitch0[spk] + int(between(-6, 6))
    gap = (para == 0) ? between(0.8, 1.5) : between(0.3, 2.5)
    if (varied && para > 0 && rand() < 0.33) gap = between(0.02, 0.15)
    drift = varied ? between(-0.18, 0.18) : 0
    print "P", para, spk, labelled, sec2samp(gap)
    used += gap
    count = (n < 0) ? 1 : n
    for (k = 0; k < count; k++) {
      if (n < 0) t = short()
      else if (spk == "Nadia" && k == count - 1 && rand() < 0.7) t = question()
      else t = sentence()
      sgap = (k == 0) ? 0 : between(0.15, 0.6)
      mark = (k > 0 && rand() < 0.08) ? 1 : 0
      if (k == 0 && labelled && para > 0 && rand() < 0.04) mark = 1
      sp = speed
      if (varied) {
        sp = int(speed * (1 + drift * (count > 1 ? k / (count - 1) : 0) + between(-0.05, 0.05)))
        if (k > 0 && rand() < 0.3) {
          other = (spk == "Nadia") ? "Oscar" : "Nadia"
          print "I", para, sent, voice[other], 180, pitch0[other], pick("Yeah.|Mm-hm.|Right.|Sure.|Uh-huh.|Oh, wow.")
          used += 0.8
        }
      }
      print "S", para, sent, voice[spk], sp, p, sec2samp(sgap), mark, t
      used += sgap + split(t, w, " ") * 60 / sp * 0.85
      sent++
    }
    cur = spk; para++
  }
  # The ad: after a paragraph 30–70 % of the way in, 20–40 s of a third voice over tones.
  print "C", int(para * between(0.3, 0.7))
  adlen = between(20, 40); aused = 3.6   # tones and the pauses around them
  a = 0
  ad[0] = "This episode is brought to you by " cap(adj()) " " cap(noun()) "."
  while (aused < adlen - 2) {
    if (a == 0) t = ad[0]
    else t = pick("Try it free for thirty days.|Visit our website and use the code listen.|Thousands of people already trust us with their " noun() ".|It is " adj() ", " adj() " and surprisingly " adj() ".|Order before the end of the month and save on your first " noun() ".")
    print "A", a, "en-us+f4", 175, 60, t
    aused += split(t, w, " ") * 60 / 175 * 0.9 + 0.35
    a++
  }
  # The pre-roll: 20–40 s of a fourth voice over music, before everything.
  prelen = between(20, 40); pused = 2.0
  b = 0
  while (pused < prelen - 1.5) {
    if (b == 0) t = "Support for this show comes from " cap(adj()) " " cap(noun()) ", the " adj() " way to plan your " noun() "."
    else t = pick("Sign up today and get your first month free.|They make every " noun() " feel " adj() ".|Go to their website and enter the code podcast at checkout.|Over a million listeners already use it for their " noun() ".|Start your free trial this week.")
    print "B", b, "en-us+m7", 165, 45, t
    pused += split(t, w, " ") * 60 / 165 * 0.9 + 0.4
    b++
  }
}' > "$work/plan"

# 2. Speech: one espeak-ng run per sentence (both cores), trimmed of its own silence, as raw
#    16-bit mono PCM so that lengths are exact and concatenation is `cat`.
synth() { # file voice speed pitch text...
  local f="$1" v="$2" s="$3" p="$4"
  shift 4
  espeak-ng -v "$v" -s "$s" -p "$p" --stdout "$*" |
    sox -q -t wav - -t raw -r "$RATE" -e signed -b 16 -c 1 "$f" \
      silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse
}
export -f synth
export RATE
awk -v d="$work/s" '
  $1 == "S" { t = ""; for (i = 9; i <= NF; i++) t = t " " $i; print d "/" $3 ".raw", $4, $5, $6, t }
  $1 == "A" { t = ""; for (i = 6; i <= NF; i++) t = t " " $i; print d "/ad" $2 ".raw", $3, $4, $5, t }
  $1 == "I" { t = ""; for (i = 7; i <= NF; i++) t = t " " $i; print d "/i" $3 ".raw", $4, $5, $6, t }
  $1 == "B" { t = ""; for (i = 6; i <= NF; i++) t = t " " $i; print d "/pre" $2 ".raw", $3, $4, $5, t }
' "$work/plan" | tr '\n' '\0' |
  xargs -0 -P "$(nproc 2>/dev/null || echo 2)" -I{} bash -c 'set -f; synth $1' _ {}
# (xargs hands the whole line as one argument; split it back into words.)

# 3. The jingle: a few tones with fades, and the ad's tone bed.
tone() { sox -q -n -t raw -r "$RATE" -e signed -b 16 -c 1 - synth "$1" sine "$2" fade 0.02 "$1" 0.05 vol "$3"; }
{ tone 0.35 523 0.3; tone 0.35 659 0.3; tone 0.35 784 0.3; tone 0.9 1047 0.25; head -c 8820 /dev/zero; } > "$work/jingle.raw"
{ tone 0.5 880 0.2; tone 0.5 660 0.2; } > "$work/adtones.raw"

# 4. The timeline: byte offsets from the raw lengths, the truth, the transcripts, the order.
for f in "$work"/s/*.raw; do printf '%s %s\n' "$(basename "$f" .raw)" "$(stat -c %s "$f")"; done > "$work/sizes"
awk -v rate="$RATE" -v w="$work" -v jingle="$(stat -c %s "$work/jingle.raw")" \
  -v adtones="$(stat -c %s "$work/adtones.raw")" '
function hms(s,   h, m) { s = int(s); h = int(s / 3600); m = int((s % 3600) / 60); return sprintf("%02d:%02d:%02d", h, m, s % 60) }
function vtt(s,   h, m) { h = int(s / 3600); m = int((s % 3600) / 60); return sprintf("%02d:%02d:%06.3f", h, m, s - h * 3600 - m * 60) }
FNR == NR { size[$1] = $2; next }
$1 == "P" { np = $2 + 1; spk[$2] = $3; lab[$2] = $4; gapb[$2] = $5; next }
$1 == "S" {
  t = ""; for (i = 9; i <= NF; i++) t = t (i > 9 ? " " : "") $i
  ns++; sp[$3] = $2; stext[$3] = t; sgap[$3] = $7; smark[$3] = $8; next
}
$1 == "A" { na++; t = ""; for (i = 6; i <= NF; i++) t = t (i > 6 ? " " : "") $i; atext[$2] = t; next }
$1 == "B" { nb++; next }
$1 == "I" { inter[$3] = 1; next }
$1 == "C" { cut = $2; next }
END {
  order = w "/order"; adorder = w "/adorder"
  pos = jingle / 2                       # samples so far
  print "f", w "/jingle.raw" > order
  bytes = jingle
  for (s = 0; s < ns; s++) {
    p = sp[s]
    gap = (s == 0 || sp[s - 1] != p) ? gapb[p] : sgap[s]
    if (inter[s]) {
      # The other speaker chimes in, in the pause before this sentence (the pause grows).
      pre = int(0.12 * rate); isz = size["i" s] / 2
      print "z", pre * 2 > order
      print "f", w "/s/i" s ".raw" > order
      pos += pre + isz; bytes += pre * 2 + isz * 2
      gap = (gap > int(0.15 * rate)) ? gap : int(0.15 * rate)
    }
    print "z", gap * 2 > order
    pos += gap
    if (s == 0 || sp[s - 1] != p) { pstart[p] = pos / rate; pbyte[p] = bytes + int(gap / 2) * 2 }
    bytes += gap * 2
    sstart[s] = pos / rate
    print "f", w "/s/" s ".raw" > order
    pos += size[s] / 2; bytes += size[s]
    pend[p] = pos / rate
    ptext[p] = (ptext[p] == "" ? "" : ptext[p] " ") stext[s]
    # The untimed transcript: a mark before some sentences, with the time they start.
    ttext[p] = (ttext[p] == "" ? "" : ttext[p] " ") (smark[s] ? "[inaudible " hms(sstart[s]) "] " : "") stext[s]
  }
  tail = int(1.5 * rate)
  print "z", tail * 2 > order
  dur = (pos + tail) / rate
  # The ad goes in the middle of the pause before paragraph cut+1.
  if (cut + 1 >= np) cut = np - 2
  adat = pbyte[cut + 1]
  adbytes = 0
  print "c", adat > adorder
  print "z", int(0.6 * rate) * 2 > adorder; adbytes += int(0.6 * rate) * 2
  print "f", w "/adtones.raw" > adorder; adbytes += adtones
  for (a = 0; a < na; a++) {
    print "z", int(0.35 * rate) * 2 > adorder; adbytes += int(0.35 * rate) * 2
    print "f", w "/s/ad" a ".raw" > adorder; adbytes += size["ad" a]
  }
  print "z", int(0.4 * rate) * 2 > adorder; adbytes += int(0.4 * rate) * 2
  print "f", w "/adtones.raw" > adorder; adbytes += adtones
  print "z", int(0.6 * rate) * 2 > adorder; adbytes += int(0.6 * rate) * 2
  adstart = adat / 2 / rate; adlen = adbytes / 2 / rate
  # Where the ad sentences are in ad.mp3 (for the publisher transcript of that copy).
  apos = adat / 2 + int(0.6 * rate) + adtones / 2
  for (a = 0; a < na; a++) {
    apos += int(0.35 * rate); astart[a] = apos / rate
    apos += size["ad" a] / 2; aend[a] = apos / rate
  }
  # The pre-roll: music from 0, the voice from 0.5 s, 1 s of music after it.
  preorder = w "/preorder"; prebytes = 0
  print "z", int(0.5 * rate) * 2 > preorder; prebytes += int(0.5 * rate) * 2
  for (b = 0; b < nb; b++) {
    if (b > 0) { print "z", int(0.4 * rate) * 2 > preorder; prebytes += int(0.4 * rate) * 2 }
    print "f", w "/s/pre" b ".raw" > preorder; prebytes += size["pre" b]
  }
  print "z", int(1.0 * rate) * 2 > preorder; prebytes += int(1.0 * rate) * 2
  prelen = prebytes / 2 / rate

  for (k = 0; k < 3; k++) {
    f = (k == 0) ? w "/truth.json" : (k == 1 ? w "/ad-truth.json" : w "/pre-truth.json")
    shift = (k == 0) ? 0 : (k == 1 ? adlen : prelen)
    printf "{\n  \"duration\": %.3f,\n", dur + shift > f
    if (k == 1) printf "  \"adStart\": %.3f,\n  \"adLength\": %.3f,\n  \"adAfterParagraph\": %d,\n", adstart, adlen, cut > f
    if (k == 2) printf "  \"adStart\": 0,\n  \"adLength\": %.3f,\n", prelen > f
    printf "  \"paragraphs\": [\n" > f
    for (p = 0; p < np; p++) {
      d = (k == 1 && p > cut) || k == 2 ? shift : 0
      printf "    {\"start\": %.3f, \"end\": %.3f, \"speaker\": \"%s\", \"text\": \"%s\"}%s\n", pstart[p] + d, pend[p] + d, spk[p], ptext[p], (p < np - 1 ? "," : "") > f
    }
    printf "  ]\n}\n" > f
  }
  # Untimed, in the style of a podcast page: `Name: text`, further paragraphs unlabelled.
  for (p = 0; p < np; p++) printf "%s%s\n\n", (lab[p] ? spk[p] ": " : ""), ttext[p] > (w "/transcript.txt")
  # The publisher timed transcript, made before the ad went in.
  f = w "/ad.vtt"
  print "WEBVTT\n" > f
  for (p = 0; p < np; p++) printf "%s --> %s\n<v %s>%s\n\n", vtt(pstart[p]), vtt(pend[p]), spk[p], ptext[p] > f
  # The publisher timed transcript of ad.mp3, its ad included.
  f = w "/removed.vtt"
  print "WEBVTT\n" > f
  for (p = 0; p < np; p++) {
    d = (p > cut) ? adlen : 0
    printf "%s --> %s\n<v %s>%s\n\n", vtt(pstart[p] + d), vtt(pend[p] + d), spk[p], ptext[p] > f
    if (p == cut) for (a = 0; a < na; a++) printf "%s --> %s\n<v Sponsor>%s\n\n", vtt(astart[a]), vtt(aend[a]), atext[a] > f
  }
}' "$work/sizes" "$work/plan"

{
  while read -r kind arg; do
    case "$kind" in
      f) cat "$arg" ;;
      z) head -c "$arg" /dev/zero ;;
    esac
  done < "$work/order"
} > "$work/speech.raw"
chord() { sox -q -n -t raw -r "$RATE" -e signed -b 16 -c 1 - synth 2 sine "$1" sine "$2" sine "$3" channels 1 fade 0.05 2 0.2 vol 0.06; }
{ chord 262 330 392; chord 220 262 330; chord 175 220 262; chord 196 247 294; } > "$work/bar.raw"
if [ "$varied" = 1 ]; then
  # A music bed under the intro: 16 s of the chords, quieter, fading out over the last 4 s.
  { cat "$work/bar.raw" "$work/bar.raw"; } > "$work/intro.raw"
  sox -q -t raw -r "$RATE" -e signed -b 16 -c 1 "$work/intro.raw" \
    -t raw -r "$RATE" -e signed -b 16 -c 1 "$work/introbed.raw" vol 0.6 fade t 0 -0 4
  sox -q -m -v 1 -t raw -r "$RATE" -e signed -b 16 -c 1 "$work/speech.raw" \
    -v 1 -t raw -r "$RATE" -e signed -b 16 -c 1 "$work/introbed.raw" \
    -t raw -r "$RATE" -e signed -b 16 -c 1 "$work/mixed.raw"
  mv "$work/mixed.raw" "$work/speech.raw"
fi
{
  read -r _ at < "$work/adorder"
  head -c "$at" "$work/speech.raw"
  tail -n +2 "$work/adorder" | while read -r kind arg; do
    case "$kind" in
      f) cat "$arg" ;;
      z) head -c "$arg" /dev/zero ;;
    esac
  done
  tail -c +"$((at + 1))" "$work/speech.raw"
} > "$work/ad.raw"
# The pre-roll: its voice over a music bed (four chords of 2 s, looped), then the episode.
{
  while read -r kind arg; do
    case "$kind" in
      f) cat "$arg" ;;
      z) head -c "$arg" /dev/zero ;;
    esac
  done < "$work/preorder"
} > "$work/prevoice.raw"
prebytes=$(stat -c %s "$work/prevoice.raw")
barbytes=$(stat -c %s "$work/bar.raw")
for _ in $(seq $((prebytes / barbytes + 1))); do cat "$work/bar.raw"; done > "$work/music.raw"
truncate -s "$prebytes" "$work/music.raw"
sox -q -m -v 1 -t raw -r "$RATE" -e signed -b 16 -c 1 "$work/prevoice.raw" \
  -v 1 -t raw -r "$RATE" -e signed -b 16 -c 1 "$work/music.raw" \
  -t raw -r "$RATE" -e signed -b 16 -c 1 "$work/pre.raw" fade t 0 -0 0.8
cat "$work/speech.raw" >> "$work/pre.raw"

# 5. The noise bed and the MP3s (44.1 kHz, VBR).
encode() { # raw mp3
  ffmpeg -nostdin -loglevel error -y -f s16le -ar "$RATE" -ac 1 -i "$1" \
    -f lavfi -i "anoisesrc=color=pink:sample_rate=$RATE:amplitude=0.004:seed=$seed" \
    -filter_complex "[0:a][1:a]amix=inputs=2:duration=first:normalize=0" \
    -ar 44100 -c:a libmp3lame -q:a 4 "$2"
}
encode "$work/speech.raw" "$work/episode.mp3" &
encode "$work/ad.raw" "$work/ad.mp3" &
encode "$work/pre.raw" "$work/pre.mp3"
wait

mkdir -p "$out"
for f in episode.mp3 truth.json transcript.txt ad.mp3 ad.vtt ad-truth.json pre.mp3 pre-truth.json \
  removed.vtt; do
  mv "$work/$f" "$out/$f"
done
touch "$out/done"
echo "$out"
