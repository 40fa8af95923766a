;; One pass over a lower-cased text that collects what the normaliser and the
;; decoders need to decide whether to do more work: the loop of `scanText`
;; (see `scan.ts` for what each result means).
;;
;; Source of `_scan-wasm.ts` (`npm run build:kernels`). Pointers are byte
;; offsets into this module's memory, laid out by `scan-kernel.ts`:
;; $class: u16 class bits of every code unit; $llr: f64 pairs (rot13, reversed)
;; of letter-bigram log-likelihood ratios, 27 × 27; $keys, $vals: the hint
;; words' open-addressing table (1024 slots, i32 keys, u8 flags).
;; Floating-point steps are those of the JavaScript it replaced, in the same
;; order, so the evidence values are bit for bit the same.
(module
  (memory (export "memory") 1)

  ;; Results at $out: i32 whitespace, leet, spaced, hexRun, binaryRun,
  ;; morseTokens, percents, escapes, braille, english, rot13, reversed, nato,
  ;; words, markStarts, run count (offsets 0..60); f64 rot13Evidence at 64,
  ;; reversedEvidence at 72. Base64-alphabet runs of 16 or more: i32 pairs
  ;; [start, end) at $runs. The text: $len code units at $units, then a space.
  (func (export "scan")
    (param $units i32) (param $len i32) (param $out i32) (param $runs i32)
    (param $class i32) (param $llr i32) (param $keys i32) (param $vals i32)
    (local $i i32) (local $c i32) (local $f i32) (local $k i32) (local $h i32) (local $slot i32) (local $end i32)
    (local $prevSpace i32) (local $prev i32) (local $rot f64) (local $rev f64) (local $runRot f64) (local $runRev f64)
    (local $bestRot f64) (local $bestRev f64)
    (local $wordLen i32) (local $letters i32) (local $leets i32) (local $singles i32)
    (local $ah i32) (local $aLen i32) (local $runStart i32) (local $runCount i32)
    (local $tokLen i32) (local $tokHex i32) (local $hexRun i32) (local $tokMorse i32) (local $bits i32)
    (local $whitespace i32) (local $leet i32) (local $spaced i32) (local $maxHexRun i32) (local $binaryRun i32)
    (local $morseTokens i32) (local $percents i32) (local $escapes i32) (local $braille i32)
    (local $english i32) (local $rot13 i32) (local $reversed i32) (local $nato i32) (local $words i32) (local $markStarts i32)
    (local.set $prevSpace (i32.const 1))
    (local.set $ah (i32.const 0x811c9dc5))
    (local.set $runStart (i32.const -1))
    (local.set $tokHex (i32.const 1))
    (local.set $tokMorse (i32.const 1))
    (block $done
      (loop $each
        (br_if $done (i32.gt_u (local.get $i) (local.get $len)))
        (local.set $c (i32.load16_u (i32.add (local.get $units) (i32.shl (local.get $i) (i32.const 1)))))
        (if (i32.le_u (i32.sub (local.get $c) (i32.const 97)) (i32.const 25))
          (then
            ;; A run of a-z, most of ordinary text: each letter has exactly the effect the general path
            ;; below gives it (hint hash, evidence, word, base64 run, hex and Morse token); then that path
            ;; takes the character after the run.
            (if (i32.lt_s (local.get $runStart) (i32.const 0)) (then (local.set $runStart (local.get $i))))
            (local.set $end (local.get $i))
            (loop $letters
              (local.set $ah (i32.mul (i32.xor (local.get $ah) (local.get $c)) (i32.const 0x01000193)))
              (local.set $k (i32.add (local.get $llr) (i32.shl
                (i32.add (i32.mul (local.get $prev) (i32.const 27)) (i32.sub (local.get $c) (i32.const 96))) (i32.const 4))))
              (local.set $rot (f64.add (local.get $rot) (f64.load (local.get $k))))
              (local.set $rev (f64.add (local.get $rev) (f64.load offset=8 (local.get $k))))
              (local.set $prev (i32.sub (local.get $c) (i32.const 96)))
              (if (i32.and (i32.gt_u (local.get $c) (i32.const 102))
                    (i32.eqz (i32.and (i32.eq (local.get $c) (i32.const 120)) (i32.eq (local.get $tokLen) (i32.const 1)))))
                (then (local.set $tokHex (i32.const 0))))
              (local.set $tokLen (i32.add (local.get $tokLen) (i32.const 1)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (local.set $c (i32.load16_u (i32.add (local.get $units) (i32.shl (local.get $i) (i32.const 1)))))
              (br_if $letters (i32.le_u (i32.sub (local.get $c) (i32.const 97)) (i32.const 25))))
            (local.set $end (i32.sub (local.get $i) (local.get $end)))
            (local.set $aLen (i32.add (local.get $aLen) (local.get $end)))
            (local.set $wordLen (i32.add (local.get $wordLen) (local.get $end)))
            (local.set $letters (i32.add (local.get $letters) (local.get $end)))
            (local.set $tokMorse (i32.const 0))
            (local.set $bits (i32.const 0))
            (local.set $prevSpace (i32.const 0))))
        (local.set $f (i32.load16_u (i32.add (local.get $class) (i32.shl (local.get $c) (i32.const 1)))))
        ;; a-z: hint-word hash and encoding evidence; any other character ends such a word
        (if (i32.and (local.get $f) (i32.const 1))
          (then
            (local.set $ah (i32.mul (i32.xor (local.get $ah) (local.get $c)) (i32.const 0x01000193)))
            (local.set $k (i32.add (local.get $llr) (i32.shl
              (i32.add (i32.mul (local.get $prev) (i32.const 27)) (i32.sub (local.get $c) (i32.const 96))) (i32.const 4))))
            (local.set $rot (f64.add (local.get $rot) (f64.load (local.get $k))))
            (local.set $rev (f64.add (local.get $rev) (f64.load offset=8 (local.get $k))))
            (local.set $prev (i32.sub (local.get $c) (i32.const 96)))
            (local.set $aLen (i32.add (local.get $aLen) (i32.const 1))))
          (else
            (if (local.get $aLen)
              (then
                (local.set $k (i32.add (local.get $llr) (i32.shl (i32.mul (local.get $prev) (i32.const 27)) (i32.const 4))))
                (local.set $runRot (f64.max (f64.const 0) (f64.add (local.get $runRot)
                  (f64.min (f64.const 5) (f64.add (local.get $rot) (f64.load (local.get $k)))))))
                (local.set $runRev (f64.max (f64.const 0) (f64.add (local.get $runRev)
                  (f64.min (f64.const 5) (f64.add (local.get $rev) (f64.load offset=8 (local.get $k)))))))
                (if (f64.gt (local.get $runRot) (local.get $bestRot)) (then (local.set $bestRot (local.get $runRot))))
                (if (f64.gt (local.get $runRev) (local.get $bestRev)) (then (local.set $bestRev (local.get $runRev))))
                (local.set $prev (i32.const 0))
                (local.set $rot (f64.const 0))
                (local.set $rev (f64.const 0))
                ;; hint flags of the word: 1 English, 2 rot13, 4 reversed, 8 NATO
                (local.set $ah (i32.or (local.get $ah) (i32.const 1)))
                (local.set $slot (i32.and (local.get $ah) (i32.const 1023)))
                (local.set $h (i32.const 0))
                (block $found
                  (loop $probe
                    (local.set $k (i32.load (i32.add (local.get $keys) (i32.shl (local.get $slot) (i32.const 2)))))
                    (if (i32.eq (local.get $k) (local.get $ah))
                      (then
                        (local.set $h (i32.load8_u (i32.add (local.get $vals) (local.get $slot))))
                        (br $found)))
                    (br_if $found (i32.eqz (local.get $k)))
                    (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (i32.const 1023)))
                    (br $probe)))
                (local.set $english (i32.add (local.get $english) (i32.and (local.get $h) (i32.const 1))))
                (local.set $rot13 (i32.add (local.get $rot13) (i32.and (i32.shr_u (local.get $h) (i32.const 1)) (i32.const 1))))
                (local.set $reversed (i32.add (local.get $reversed) (i32.and (i32.shr_u (local.get $h) (i32.const 2)) (i32.const 1))))
                (local.set $nato (i32.add (local.get $nato) (i32.and (i32.shr_u (local.get $h) (i32.const 3)) (i32.const 1))))
                (local.set $ah (i32.const 0x811c9dc5))
                (local.set $aLen (i32.const 0))))))
        ;; words of letters, digits and leet symbols (class 2 alnum, 16 leet symbol)
        (if (i32.and (local.get $f) (i32.const 18))
          (then
            (if (i32.and (i32.eqz (local.get $wordLen)) (i32.ne (i32.and (local.get $f) (i32.const 512)) (i32.const 0)))
              (then (local.set $markStarts (i32.add (local.get $markStarts) (i32.const 1)))))
            (local.set $wordLen (i32.add (local.get $wordLen) (i32.const 1)))
            (if (i32.and (local.get $f) (i32.const 4))
              (then
                (if (i32.and (local.get $f) (i32.const 8))
                  (then (local.set $leets (i32.add (local.get $leets) (i32.const 1))))))
              (else
                (if (i32.and (local.get $f) (i32.const 2))
                  (then (local.set $letters (i32.add (local.get $letters) (i32.const 1))))
                  (else
                    ;; a symbol counts when a word character follows, or as a final "$" after two letters
                    (if (i32.or
                          (i32.and
                            (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $len))
                            (i32.ne (i32.and (i32.load16_u (i32.add (local.get $class) (i32.shl
                              (i32.load16_u (i32.add (local.get $units) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 1))))
                              (i32.const 1)))) (i32.const 2)) (i32.const 0)))
                          (i32.and (i32.eq (local.get $c) (i32.const 36)) (i32.ge_u (local.get $letters) (i32.const 2))))
                      (then (local.set $leets (i32.add (local.get $leets) (i32.const 1))))))))))
          (else
            (if (local.get $wordLen)
              (then
                (local.set $words (i32.add (local.get $words) (i32.const 1)))
                (if (i32.and
                      (i32.and (i32.gt_u (local.get $leets) (i32.const 0)) (i32.ge_u (local.get $letters) (i32.const 1)))
                      (i32.or (i32.ge_u (local.get $letters) (i32.const 2)) (i32.ge_u (local.get $leets) (i32.const 2))))
                  (then (local.set $leet (i32.const 1))))
                (if (i32.eq (local.get $wordLen) (i32.const 1))
                  (then
                    (local.set $singles (i32.add (local.get $singles) (i32.const 1)))
                    (if (i32.ge_u (local.get $singles) (i32.const 4)) (then (local.set $spaced (i32.const 1)))))
                  (else (local.set $singles (i32.const 0))))))
            (local.set $wordLen (i32.const 0))
            (local.set $letters (i32.const 0))
            (local.set $leets (i32.const 0))
            (if (i32.eq (local.get $c) (i32.const 32))
              (then
                (if (i32.and (local.get $prevSpace)
                      (i32.and (i32.gt_u (local.get $i) (i32.const 0)) (i32.lt_u (local.get $i) (local.get $len))))
                  (then (local.set $whitespace (i32.const 1)))))
              (else
                (if (i32.and (local.get $f) (i32.const 1024)) (then (local.set $whitespace (i32.const 1))))))))
        (local.set $prevSpace (i32.eq (local.get $c) (i32.const 32)))
        ;; base64-alphabet runs (class 32)
        (if (i32.and (local.get $f) (i32.const 32))
          (then (if (i32.lt_s (local.get $runStart) (i32.const 0)) (then (local.set $runStart (local.get $i)))))
          (else
            (if (i32.ge_s (local.get $runStart) (i32.const 0))
              (then
                (if (i32.ge_u (i32.sub (local.get $i) (local.get $runStart)) (i32.const 16))
                  (then
                    ;; up to two "=" of padding belong to the run
                    (local.set $end (local.get $i))
                    (block $pad
                      (loop $each_pad
                        (br_if $pad (i32.ge_u (local.get $end) (local.get $len)))
                        (br_if $pad (i32.ge_u (i32.sub (local.get $end) (local.get $i)) (i32.const 2)))
                        (br_if $pad (i32.ne (i32.load16_u (i32.add (local.get $units) (i32.shl (local.get $end) (i32.const 1)))) (i32.const 61)))
                        (local.set $end (i32.add (local.get $end) (i32.const 1)))
                        (br $each_pad)))
                    (i32.store (i32.add (local.get $runs) (i32.shl (local.get $runCount) (i32.const 3))) (local.get $runStart))
                    (i32.store offset=4 (i32.add (local.get $runs) (i32.shl (local.get $runCount) (i32.const 3))) (local.get $end))
                    (local.set $runCount (i32.add (local.get $runCount) (i32.const 1)))))
                (local.set $runStart (i32.const -1))))))
        ;; eight binary digits in a row
        (if (i32.or (i32.eq (local.get $c) (i32.const 48)) (i32.eq (local.get $c) (i32.const 49)))
          (then
            (local.set $bits (i32.add (local.get $bits) (i32.const 1)))
            (if (i32.ge_u (local.get $bits) (i32.const 8)) (then (local.set $binaryRun (i32.const 1)))))
          (else (local.set $bits (i32.const 0))))
        (if (i32.eq (local.get $c) (i32.const 37))
          (then (local.set $percents (i32.add (local.get $percents) (i32.const 1))))
          (else
            (if (i32.or (i32.eq (local.get $c) (i32.const 92))
                  (i32.and (i32.eq (local.get $c) (i32.const 38))
                    (i32.and (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $len))
                      (i32.eq (i32.load16_u (i32.add (local.get $units) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 1))))
                        (i32.const 35)))))
              (then (local.set $escapes (i32.add (local.get $escapes) (i32.const 1))))
              (else (if (i32.and (local.get $f) (i32.const 2048)) (then (local.set $braille (i32.const 1))))))))
        ;; separator-delimited tokens (class 128): hex pairs and Morse letters
        (if (i32.and (local.get $f) (i32.const 128))
          (then
            (if (local.get $tokLen)
              (then
                (if (i32.and (local.get $tokHex)
                      (i32.or (i32.eq (local.get $tokLen) (i32.const 2)) (i32.eq (local.get $tokLen) (i32.const 4))))
                  (then
                    (local.set $hexRun (i32.add (local.get $hexRun) (i32.const 1)))
                    (if (i32.gt_u (local.get $hexRun) (local.get $maxHexRun)) (then (local.set $maxHexRun (local.get $hexRun)))))
                  (else (local.set $hexRun (i32.const 0))))
                (if (i32.and (local.get $tokMorse) (i32.le_u (local.get $tokLen) (i32.const 7)))
                  (then (local.set $morseTokens (i32.add (local.get $morseTokens) (i32.const 1)))))))
            (local.set $tokLen (i32.const 0))
            (local.set $tokHex (i32.const 1))
            (local.set $tokMorse (i32.const 1)))
          (else
            ;; class 64 hex digit; "x" second in a token ("0x", "\x"); backslash
            (if (i32.and
                  (i32.and (i32.eqz (i32.and (local.get $f) (i32.const 64)))
                    (i32.eqz (i32.and (i32.eq (local.get $c) (i32.const 120)) (i32.eq (local.get $tokLen) (i32.const 1)))))
                  (i32.ne (local.get $c) (i32.const 92)))
              (then (local.set $tokHex (i32.const 0))))
            ;; class 256 Morse symbol
            (if (i32.eqz (i32.and (local.get $f) (i32.const 256))) (then (local.set $tokMorse (i32.const 0))))
            (local.set $tokLen (i32.add (local.get $tokLen) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.store (local.get $out) (local.get $whitespace))
    (i32.store offset=4 (local.get $out) (local.get $leet))
    (i32.store offset=8 (local.get $out) (local.get $spaced))
    (i32.store offset=12 (local.get $out) (local.get $maxHexRun))
    (i32.store offset=16 (local.get $out) (local.get $binaryRun))
    (i32.store offset=20 (local.get $out) (local.get $morseTokens))
    (i32.store offset=24 (local.get $out) (local.get $percents))
    (i32.store offset=28 (local.get $out) (local.get $escapes))
    (i32.store offset=32 (local.get $out) (local.get $braille))
    (i32.store offset=36 (local.get $out) (local.get $english))
    (i32.store offset=40 (local.get $out) (local.get $rot13))
    (i32.store offset=44 (local.get $out) (local.get $reversed))
    (i32.store offset=48 (local.get $out) (local.get $nato))
    (i32.store offset=52 (local.get $out) (local.get $words))
    (i32.store offset=56 (local.get $out) (local.get $markStarts))
    (i32.store offset=60 (local.get $out) (local.get $runCount))
    (f64.store offset=64 (local.get $out) (local.get $bestRot))
    (f64.store offset=72 (local.get $out) (local.get $bestRev)))
)
