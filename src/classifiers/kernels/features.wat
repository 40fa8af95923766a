;; Hashed features of one folded text segment: the hashing loop of
;; `FeatureExtractor` (see `features.ts` for the feature set and contract).
;;
;; Source of `_features-wasm.ts` (`npm run build:kernels`). Pointers are byte
;; offsets into this module's memory, which the caller lays out.
;;
;; Arithmetic is 32-bit and wraps, as `Math.imul` and `ToInt32` do in the
;; JavaScript it replaced, so the hashes are bit for bit the same.
(module
  (memory (export "memory") 1)

  ;; Features of the segment whose code units are at $units, framed by a
  ;; space on each side (units[0] = units[len + 1] = 32), written as i32 at
  ;; $out + 4·n from n = $n0 on; returns the n after the last one.
  ;; $flags: 1 = 3-grams, 2 = 4-grams, 4 = 5-grams, 8 = word bigrams,
  ;; 16 = skip bigrams, 32 = repeat markers. $kinds: 65,536 bytes, the kind of
  ;; each code unit (0 break, 1 word, 2 CJK, 3 join). Every $block positions
  ;; (0: never), the current n is appended to the i32 list at $marks.
  ;; $info receives the number of marks (i32) and whether a repeat marker was
  ;; placed (i32, 0 or 1).
  (func (export "segment")
    (param $units i32) (param $len i32) (param $out i32) (param $n0 i32) (param $block i32) (param $marks i32)
    (param $flags i32) (param $shift i32) (param $kinds i32) (param $repeatHash i32) (param $info i32)
    (result i32)
    (local $p i32) (local $n i32) (local $end i32) (local $nextMark i32) (local $markCount i32) (local $repeated i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $a4 i32)
    (local $g3 i32) (local $g4 i32) (local $charRun i32) (local $wordRun i32)
    (local $h i32) (local $inWord i32) (local $prev i32) (local $havePrev i32) (local $prev2 i32) (local $havePrev2 i32)
    (local $kind i32) (local $w i32)
    (local $g3on i32) (local $g4on i32) (local $g5on i32) (local $bigrams i32) (local $skips i32) (local $repeats i32)
    (local.set $g3on (i32.and (local.get $flags) (i32.const 1)))
    (local.set $g4on (i32.and (local.get $flags) (i32.const 2)))
    (local.set $g5on (i32.and (local.get $flags) (i32.const 4)))
    (local.set $bigrams (i32.and (local.get $flags) (i32.const 8)))
    (local.set $skips (i32.and (local.get $flags) (i32.const 16)))
    (local.set $repeats (i32.and (local.get $flags) (i32.const 32)))
    (local.set $n (local.get $n0))
    (local.set $end (i32.add (local.get $len) (i32.const 1)))
    (local.set $nextMark (if (result i32) (local.get $block) (then (local.get $block)) (else (i32.const -1))))
    (local.set $h (i32.const 0x2545f491))
    (block $done
      (loop $each
        (br_if $done (i32.gt_u (local.get $p) (local.get $end)))
        (block $next
          (if (i32.eq (local.get $p) (local.get $nextMark))
            (then
              (i32.store (i32.add (local.get $marks) (i32.shl (local.get $markCount) (i32.const 2))) (local.get $n))
              (local.set $markCount (i32.add (local.get $markCount) (i32.const 1)))
              (local.set $nextMark (i32.add (local.get $nextMark) (local.get $block)))))
          (local.set $a0 (i32.load16_u (i32.add (local.get $units) (i32.shl (local.get $p) (i32.const 1)))))
          (if (local.get $repeats)
            (then
              (local.set $charRun
                (if (result i32)
                  (i32.and (i32.eq (local.get $a0) (local.get $a1)) (i32.ne (local.get $a0) (i32.const 32)))
                  (then (i32.add (local.get $charRun) (i32.const 1)))
                  (else (i32.const 0))))))
          (if (i32.ge_u (local.get $charRun) (i32.const 24))
            (then
              ;; Deep inside a run of one character: a marker replaces the identical n-grams.
              (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))) (local.get $repeatHash))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))
              (local.set $repeated (i32.const 1)))
            (else
              (local.set $g3 (i32.add
                (i32.mul (i32.add (i32.mul (local.get $a2) (i32.const 0x01000193)) (local.get $a1)) (i32.const 0x01000193))
                (local.get $a0)))
              ;; CHAR_MUL^3 and CHAR_MUL^4, wrapped to 32 bits
              (local.set $g4 (i32.add (i32.mul (local.get $a3) (i32.const 0x3ee6b34b)) (local.get $g3)))
              (if (i32.and (i32.ge_u (local.get $p) (i32.const 2)) (i32.ne (local.get $g3on) (i32.const 0)))
                (then
                  (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
                    (i32.shr_u (i32.mul (i32.xor (local.get $g3) (i32.const 0x3c6ef372)) (i32.const 0x9e3779b1)) (local.get $shift)))
                  (local.set $n (i32.add (local.get $n) (i32.const 1)))))
              (if (i32.and (i32.ge_u (local.get $p) (i32.const 3)) (i32.ne (local.get $g4on) (i32.const 0)))
                (then
                  (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
                    (i32.shr_u (i32.mul (i32.xor (local.get $g4) (i32.const 0x5be0cd19)) (i32.const 0x9e3779b1)) (local.get $shift)))
                  (local.set $n (i32.add (local.get $n) (i32.const 1)))))
              (if (i32.and (i32.ge_u (local.get $p) (i32.const 4)) (i32.ne (local.get $g5on) (i32.const 0)))
                (then
                  (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
                    (i32.shr_u
                      (i32.mul
                        (i32.xor (i32.add (i32.mul (local.get $a4) (i32.const 0x502c3f11)) (local.get $g4)) (i32.const 0x1f83d9ab))
                        (i32.const 0x9e3779b1))
                      (local.get $shift)))
                  (local.set $n (i32.add (local.get $n) (i32.const 1)))))))
          (local.set $a4 (local.get $a3))
          (local.set $a3 (local.get $a2))
          (local.set $a2 (local.get $a1))
          (local.set $a1 (local.get $a0))
          (br_if $next (i32.eqz (local.get $p)))
          (local.set $kind (i32.load8_u (i32.add (local.get $kinds) (local.get $a0))))
          (if (i32.eq (local.get $kind) (i32.const 1))
            (then
              (local.set $h (i32.mul (i32.xor (local.get $h) (local.get $a0)) (i32.const 0x01000193)))
              (local.set $inWord (i32.const 1))
              (br $next)))
          (if (local.get $inWord)
            (then
              (if (local.get $repeats)
                (then
                  (local.set $wordRun
                    (if (result i32)
                      (i32.and (i32.ne (local.get $havePrev) (i32.const 0)) (i32.eq (local.get $h) (local.get $prev)))
                      (then (i32.add (local.get $wordRun) (i32.const 1)))
                      (else (i32.const 0))))))
              (if (i32.ge_u (local.get $wordRun) (i32.const 12))
                (then
                  ;; The same word again and again: a marker replaces its unigram and bigram.
                  (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))) (local.get $repeatHash))
                  (local.set $n (i32.add (local.get $n) (i32.const 1)))
                  (local.set $repeated (i32.const 1)))
                (else
                  (local.set $n (call $word (local.get $out) (local.get $n) (local.get $h) (local.get $prev) (local.get $havePrev)
                    (local.get $prev2) (local.get $havePrev2) (local.get $bigrams) (local.get $skips) (local.get $shift)))))
              (local.set $prev2 (local.get $prev))
              (local.set $havePrev2 (local.get $havePrev))
              (local.set $prev (local.get $h))
              (local.set $havePrev (i32.const 1))
              (local.set $inWord (i32.const 0))
              (local.set $h (i32.const 0x2545f491))))
          (if (i32.eq (local.get $kind) (i32.const 2))
            (then
              ;; Each ideograph or kana is a word of its own.
              (local.set $w (i32.mul (i32.xor (i32.const 0x2545f491) (local.get $a0)) (i32.const 0x01000193)))
              (local.set $n (call $word (local.get $out) (local.get $n) (local.get $w) (local.get $prev) (local.get $havePrev)
                (local.get $prev2) (local.get $havePrev2) (local.get $bigrams) (local.get $skips) (local.get $shift)))
              (local.set $prev2 (local.get $prev))
              (local.set $havePrev2 (local.get $havePrev))
              (local.set $prev (local.get $w))
              (local.set $havePrev (i32.const 1)))
            (else
              (if (i32.eqz (local.get $kind))
                (then
                  (local.set $havePrev (i32.const 0))
                  (local.set $havePrev2 (i32.const 0)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $each)))
    (i32.store (local.get $info) (local.get $markCount))
    (i32.store offset=4 (local.get $info) (local.get $repeated))
    (local.get $n))

  ;; A word's unigram, its bigram with the word before and its skip bigram
  ;; with the one before that, as far as enabled and present; returns the new n.
  (func $word
    (param $out i32) (param $n i32) (param $h i32) (param $prev i32) (param $havePrev i32) (param $prev2 i32)
    (param $havePrev2 i32) (param $bigrams i32) (param $skips i32) (param $shift i32)
    (result i32)
    (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
      (i32.shr_u (i32.mul (i32.xor (local.get $h) (i32.const 0x6a09e667)) (i32.const 0x9e3779b1)) (local.get $shift)))
    (local.set $n (i32.add (local.get $n) (i32.const 1)))
    (if (i32.and (i32.ne (local.get $havePrev) (i32.const 0)) (i32.ne (local.get $bigrams) (i32.const 0)))
      (then
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
          (i32.shr_u
            (i32.mul
              (i32.xor (i32.add (i32.mul (local.get $prev) (i32.const 0x85ebca6b)) (local.get $h)) (i32.const 0x6b43a9b5))
              (i32.const 0x9e3779b1))
            (local.get $shift)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))))
    (if (i32.and (i32.ne (local.get $havePrev2) (i32.const 0)) (i32.ne (local.get $skips) (i32.const 0)))
      (then
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
          (i32.shr_u
            (i32.mul
              (i32.xor (i32.add (i32.mul (local.get $prev2) (i32.const 0x85ebca6b)) (local.get $h)) (i32.const 0x2f9be8c1))
              (i32.const 0x9e3779b1))
            (local.get $shift)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))))
    (local.get $n))
)
