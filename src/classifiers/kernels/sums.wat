;; Weight sums of hashed features: the inner loop of every hashed-linear model.
;;
;; Source of `_sums-wasm.ts` (`npm run build:kernels`). Pointers are byte
;; offsets into this module's memory, which the caller lays out (see
;; `sum-kernel.ts`): the weight table, then `idx` (n i32 feature hashes),
;; `bounds` (nb ascending i32 feature offsets) and `out`.
;;
;; Both functions write, for each bound b, the sum of the weights of features
;; [0, bounds[b]) as f64: integer sums, exact, the same numbers a plain
;; JavaScript loop adds up in doubles.
(module
  (memory (export "memory") 1)

  ;; One int8 weight a bucket: table[hash >>> shift]. out: nb f64.
  (func (export "single")
    (param $table i32) (param $idx i32) (param $bounds i32) (param $nb i32) (param $shift i32) (param $out i32)
    (local $a i64) (local $i i32) (local $end i32) (local $b i32)
    (local.set $i (local.get $idx))
    (block $bounds_done
      (loop $each_bound
        (br_if $bounds_done (i32.ge_u (local.get $b) (local.get $nb)))
        (local.set $end (i32.add (local.get $idx)
          (i32.shl (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $b) (i32.const 2)))) (i32.const 2))))
        (block $segment_done
          (loop $each_feature
            (br_if $segment_done (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $a (i64.add (local.get $a)
              (i64.extend_i32_s (i32.load8_s
                (i32.add (local.get $table) (i32.shr_u (i32.load (local.get $i)) (local.get $shift)))))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $each_feature)))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $b) (i32.const 3))) (f64.convert_i64_s (local.get $a)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $each_bound))))

  ;; Sixteen int8 weights a bucket (one label a byte, 16-byte aligned):
  ;; table[(hash >>> shift) * 16 + j]. out: nb × 16 f64, bound-major.
  ;; $work: 192 bytes of scratch (16 f64 running totals, then 16 i32).
  ;; Lanes are summed in 16 bits for at most 256 features at a time
  ;; (256 × 128 fits), then added to the running totals.
  (func (export "packed")
    (param $table i32) (param $idx i32) (param $bounds i32) (param $nb i32) (param $shift i32) (param $out i32)
    (param $work i32)
    (local $i i32) (local $end i32) (local $stop i32) (local $b i32) (local $j i32)
    (local $lo v128) (local $hi v128) (local $v v128) (local $part i32)
    (memory.fill (local.get $work) (i32.const 0) (i32.const 128))
    (local.set $part (i32.add (local.get $work) (i32.const 128)))
    (local.set $i (local.get $idx))
    (block $bounds_done
      (loop $each_bound
        (br_if $bounds_done (i32.ge_u (local.get $b) (local.get $nb)))
        (local.set $end (i32.add (local.get $idx)
          (i32.shl (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $b) (i32.const 2)))) (i32.const 2))))
        (block $segment_done
          (loop $each_flush
            (br_if $segment_done (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $stop (i32.add (local.get $i) (i32.const 1024)))
            (if (i32.gt_u (local.get $stop) (local.get $end)) (then (local.set $stop (local.get $end))))
            (local.set $lo (v128.const i64x2 0 0))
            (local.set $hi (v128.const i64x2 0 0))
            (block $flush_done
              (loop $each_feature
                (br_if $flush_done (i32.ge_u (local.get $i) (local.get $stop)))
                (local.set $v (v128.load (i32.add (local.get $table)
                  (i32.shl (i32.shr_u (i32.load (local.get $i)) (local.get $shift)) (i32.const 4)))))
                (local.set $lo (i16x8.add (local.get $lo) (i16x8.extend_low_i8x16_s (local.get $v))))
                (local.set $hi (i16x8.add (local.get $hi) (i16x8.extend_high_i8x16_s (local.get $v))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $each_feature)))
            (v128.store (local.get $part) (i32x4.extend_low_i16x8_s (local.get $lo)))
            (v128.store offset=16 (local.get $part) (i32x4.extend_high_i16x8_s (local.get $lo)))
            (v128.store offset=32 (local.get $part) (i32x4.extend_low_i16x8_s (local.get $hi)))
            (v128.store offset=48 (local.get $part) (i32x4.extend_high_i16x8_s (local.get $hi)))
            (local.set $j (i32.const 0))
            (loop $each_lane
              (f64.store (i32.add (local.get $work) (i32.shl (local.get $j) (i32.const 3)))
                (f64.add
                  (f64.load (i32.add (local.get $work) (i32.shl (local.get $j) (i32.const 3))))
                  (f64.convert_i32_s (i32.load (i32.add (local.get $part) (i32.shl (local.get $j) (i32.const 2)))))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $each_lane (i32.lt_u (local.get $j) (i32.const 16))))
            (br $each_flush)))
        (memory.copy (i32.add (local.get $out) (i32.shl (local.get $b) (i32.const 7))) (local.get $work) (i32.const 128))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $each_bound))))
)
