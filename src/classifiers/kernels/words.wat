;; The dense head's pooling (`dense-head.ts`): the known words of a text and
;; the weighted sum of their table rows.
;;
;; Source of `_words-wasm.ts` (`npm run build:kernels`). Pointers are byte
;; offsets into this module's memory, which the caller lays out (see
;; `word-kernel.ts`). Both functions compute exactly what the JavaScript of
;; `WordTable.collect` and `DenseHead` computes, bit for bit: the same hashes,
;; the same probes, weights added in the same order, and each product and sum
;; rounded as a double as JavaScript rounds it (no fused multiply-add).
(module
  (memory (export "memory") 1)

  ;; The distinct known words of `len` UTF-16 code units at $units. A word is
  ;; a maximal run of code units whose byte in the 64 KiB table at 0 is 1;
  ;; runs over $max_word units are not words. The slot hash is FNV-1a over the code
  ;; units, the fingerprint a second hash; the open-addressing table at $slots
  ;; holds (fingerprint, row) i32 pairs, row -1 = empty. A row of rank r
  ;; weighs r / (r + $rank_shift). Per row, $stamp (u32) holds the call that last saw
  ;; it ($gen) and $slot_of (i32) its index among the distinct words; $rows
  ;; (i32) and $weights (f64) receive the distinct words in order of first
  ;; appearance with their summed weights. Writes the number of known words
  ;; (i32) at $info and the sum of all weights (f64) at $info + 8; returns the
  ;; number of distinct words.
  (func (export "collect")
    (param $units i32) (param $len i32) (param $gen i32) (param $slots i32) (param $shift i32) (param $mask i32)
    (param $stamp i32) (param $slot_of i32) (param $rows i32) (param $weights i32) (param $info i32) (param $max_word i32) (param $rank_shift i32)
    (result i32)
    (local $p i32) (local $end i32) (local $start i32) (local $c i32) (local $h i32) (local $f i32)
    (local $s i32) (local $row i32) (local $w f64) (local $weight f64) (local $known i32) (local $distinct i32)
    (local $at i32)
    (local.set $p (local.get $units))
    (local.set $end (i32.add (local.get $units) (i32.shl (local.get $len) (i32.const 1))))
    (block $text_done
      (loop $each_word
        ;; Skip to the next word character.
        (block $found
          (loop $skip
            (br_if $text_done (i32.ge_u (local.get $p) (local.get $end)))
            (br_if $found (i32.eq (i32.load8_u (i32.load16_u (local.get $p))) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (br $skip)))
        (local.set $start (local.get $p))
        (local.set $h (i32.const 0x811c9dc5))
        (local.set $f (i32.const 0x2545f491))
        (block $word_done
          (loop $scan
            (br_if $word_done (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $c (i32.load16_u (local.get $p)))
            (br_if $word_done (i32.ne (i32.load8_u (local.get $c)) (i32.const 1)))
            (local.set $h (i32.mul (i32.xor (local.get $h) (local.get $c)) (i32.const 0x01000193)))
            (local.set $f (i32.xor
              (i32.mul (i32.add (local.get $f) (local.get $c)) (i32.const 0x9e3779b1))
              (i32.shr_u (local.get $f) (i32.const 15))))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (br $scan)))
        ;; Over $max_word code units: not a word.
        (br_if $each_word (i32.gt_u (i32.sub (local.get $p) (local.get $start)) (i32.shl (local.get $max_word) (i32.const 1))))
        ;; Probe until an empty slot (unknown word) or the fingerprint.
        (local.set $s (i32.shr_u (local.get $h) (local.get $shift)))
        (block $probed
          (loop $probe
            (local.set $at (i32.add (local.get $slots) (i32.shl (local.get $s) (i32.const 3))))
            (local.set $row (i32.load offset=4 (local.get $at)))
            (br_if $probed (i32.eq (local.get $row) (i32.const -1)))
            (br_if $probed (i32.eq (i32.load (local.get $at)) (local.get $f)))
            (local.set $s (i32.and (i32.add (local.get $s) (i32.const 1)) (local.get $mask)))
            (br $probe)))
        (br_if $each_word (i32.lt_s (local.get $row) (i32.const 0)))
        (local.set $w (f64.div
          (f64.convert_i32_s (local.get $row))
          (f64.convert_i32_s (i32.add (local.get $row) (local.get $rank_shift)))))
        (local.set $weight (f64.add (local.get $weight) (local.get $w)))
        (local.set $known (i32.add (local.get $known) (i32.const 1)))
        (if (i32.eq (i32.load (i32.add (local.get $stamp) (i32.shl (local.get $row) (i32.const 2)))) (local.get $gen))
          (then
            ;; Seen before in this text: add to its weight.
            (local.set $at (i32.add (local.get $weights)
              (i32.shl (i32.load (i32.add (local.get $slot_of) (i32.shl (local.get $row) (i32.const 2)))) (i32.const 3))))
            (f64.store (local.get $at) (f64.add (f64.load (local.get $at)) (local.get $w)))
            (br $each_word)))
        (i32.store (i32.add (local.get $stamp) (i32.shl (local.get $row) (i32.const 2))) (local.get $gen))
        (i32.store (i32.add (local.get $slot_of) (i32.shl (local.get $row) (i32.const 2))) (local.get $distinct))
        (i32.store (i32.add (local.get $rows) (i32.shl (local.get $distinct) (i32.const 2))) (local.get $row))
        (f64.store (i32.add (local.get $weights) (i32.shl (local.get $distinct) (i32.const 3))) (local.get $w))
        (local.set $distinct (i32.add (local.get $distinct) (i32.const 1)))
        (br $each_word)))
    (i32.store (local.get $info) (local.get $known))
    (f64.store offset=8 (local.get $info) (local.get $weight))
    (local.get $distinct))

  ;; out[j] = Σ_t weights[t] · table[rows[t] · hidden + j] for j < hidden,
  ;; summed over t in order as doubles; out: hidden f64 (16-byte aligned).
  ;; The table holds int8 values, `hidden` a row; hidden is a multiple of 8.
  (func (export "accumulate")
    (param $table i32) (param $hidden i32) (param $rows i32) (param $weights i32) (param $distinct i32) (param $out i32)
    (local $t i32) (local $j i32) (local $base i32) (local $o i32) (local $w v128) (local $v v128)
    (local $lo v128) (local $hi v128)
    (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $hidden) (i32.const 3)))
    (block $rows_done
      (loop $each_row
        (br_if $rows_done (i32.ge_u (local.get $t) (local.get $distinct)))
        (local.set $base (i32.add (local.get $table)
          (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $t) (i32.const 2)))) (local.get $hidden))))
        (local.set $w (f64x2.splat (f64.load (i32.add (local.get $weights) (i32.shl (local.get $t) (i32.const 3))))))
        (local.set $j (i32.const 0))
        (local.set $o (local.get $out))
        (loop $each_eight
          ;; Eight int8 values as i32 lanes j..j+3 ($lo) and j+4..j+7 ($hi), two at a time as doubles.
          (local.set $v (v128.load8x8_s (i32.add (local.get $base) (local.get $j))))
          (local.set $lo (i32x4.extend_low_i16x8_s (local.get $v)))
          (local.set $hi (i32x4.extend_high_i16x8_s (local.get $v)))
          (v128.store (local.get $o) (f64x2.add (v128.load (local.get $o))
            (f64x2.mul (local.get $w) (f64x2.convert_low_i32x4_s (local.get $lo)))))
          (v128.store offset=16 (local.get $o) (f64x2.add (v128.load offset=16 (local.get $o))
            (f64x2.mul (local.get $w) (f64x2.convert_low_i32x4_s
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $lo) (local.get $lo))))))
          (v128.store offset=32 (local.get $o) (f64x2.add (v128.load offset=32 (local.get $o))
            (f64x2.mul (local.get $w) (f64x2.convert_low_i32x4_s (local.get $hi)))))
          (v128.store offset=48 (local.get $o) (f64x2.add (v128.load offset=48 (local.get $o))
            (f64x2.mul (local.get $w) (f64x2.convert_low_i32x4_s
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $hi) (local.get $hi))))))
          (local.set $o (i32.add (local.get $o) (i32.const 64)))
          (local.set $j (i32.add (local.get $j) (i32.const 8)))
          (br_if $each_eight (i32.lt_u (local.get $j) (local.get $hidden))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $each_row))))
)
