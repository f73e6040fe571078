(module
  ;; The candidates' joint peak (joint-peak.ts), two positions per step (f64x2). Memory: the reference tile's
  ;; standardised z surface, f64 [128 x 128] at byte 0; payload tiles 1 to 5, each f64 [128 x 256] at 131072 +
  ;; (t - 1) * 262144, every row written twice over (columns 128 to 255 repeat 0 to 127) so that a shifted row is read
  ;; without wrapping; a candidate's ten shift values (i32 dx, dy of tiles 1 to 5) at 1441792.
  (memory (export "memory") 23)
  ;; peak(shifts, rw, pw): the index of the first maximum over positions i = y * 128 + x of
  ;;   rw * ref[i] + pw * tile1[(y + dy1) & 127][(x + dx1) & 127] + ... + pw * tile5[...],
  ;; summed in that order in each lane, as the TypeScript loop does (no fused multiply-add in WebAssembly: the same
  ;; sums to the bit). Each lane keeps its first maximum (even x in lane 0, odd x in lane 1); of the two the larger
  ;; wins, and on a tie the smaller index, which is the first maximum in row order.
  (func (export "peak") (param $shifts i32) (param $rw f64) (param $pw f64) (result i32)
    (local $y i32) (local $x i32) (local $row i32)
    (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $r4 i32) (local $r5 i32)
    (local $rw2 v128) (local $pw2 v128) (local $v v128) (local $gt v128)
    (local $best v128) (local $bestI v128) (local $index v128)
    (local $b0 f64) (local $b1 f64) (local $i0 i32) (local $i1 i32)
    (local.set $rw2 (f64x2.splat (local.get $rw)))
    (local.set $pw2 (f64x2.splat (local.get $pw)))
    (local.set $best (f64x2.splat (f64.const -inf)))
    (local.set $bestI (i64x2.splat (i64.const 0)))
    (loop $rows
      ;; Row bases in bytes: the reference's row y at y * 1024; tile t's row (y + dy) & 127 at its base + row * 2048,
      ;; advanced by dx columns (dx < 128, so the 128 columns read stay within the doubled row).
      (local.set $row (i32.shl (local.get $y) (i32.const 10)))
      (local.set $r1 (i32.add (i32.add (i32.const 131072) (i32.shl (i32.and (i32.add (local.get $y) (i32.load offset=4 (local.get $shifts))) (i32.const 127)) (i32.const 11)))
        (i32.shl (i32.load offset=0 (local.get $shifts)) (i32.const 3))))
      (local.set $r2 (i32.add (i32.add (i32.const 393216) (i32.shl (i32.and (i32.add (local.get $y) (i32.load offset=12 (local.get $shifts))) (i32.const 127)) (i32.const 11)))
        (i32.shl (i32.load offset=8 (local.get $shifts)) (i32.const 3))))
      (local.set $r3 (i32.add (i32.add (i32.const 655360) (i32.shl (i32.and (i32.add (local.get $y) (i32.load offset=20 (local.get $shifts))) (i32.const 127)) (i32.const 11)))
        (i32.shl (i32.load offset=16 (local.get $shifts)) (i32.const 3))))
      (local.set $r4 (i32.add (i32.add (i32.const 917504) (i32.shl (i32.and (i32.add (local.get $y) (i32.load offset=28 (local.get $shifts))) (i32.const 127)) (i32.const 11)))
        (i32.shl (i32.load offset=24 (local.get $shifts)) (i32.const 3))))
      (local.set $r5 (i32.add (i32.add (i32.const 1179648) (i32.shl (i32.and (i32.add (local.get $y) (i32.load offset=36 (local.get $shifts))) (i32.const 127)) (i32.const 11)))
        (i32.shl (i32.load offset=32 (local.get $shifts)) (i32.const 3))))
      ;; The two positions' indices, y * 128 + x and y * 128 + x + 1.
      (local.set $index (i64x2.replace_lane 1
        (i64x2.splat (i64.extend_i32_u (i32.shl (local.get $y) (i32.const 7))))
        (i64.extend_i32_u (i32.add (i32.shl (local.get $y) (i32.const 7)) (i32.const 1)))))
      (local.set $x (i32.const 0))
      (loop $cols
        ;; $x counts bytes here: 16 per step of two positions.
        (local.set $v (f64x2.mul (local.get $rw2) (v128.load (i32.add (local.get $row) (local.get $x)))))
        (local.set $v (f64x2.add (local.get $v) (f64x2.mul (local.get $pw2) (v128.load (i32.add (local.get $r1) (local.get $x))))))
        (local.set $v (f64x2.add (local.get $v) (f64x2.mul (local.get $pw2) (v128.load (i32.add (local.get $r2) (local.get $x))))))
        (local.set $v (f64x2.add (local.get $v) (f64x2.mul (local.get $pw2) (v128.load (i32.add (local.get $r3) (local.get $x))))))
        (local.set $v (f64x2.add (local.get $v) (f64x2.mul (local.get $pw2) (v128.load (i32.add (local.get $r4) (local.get $x))))))
        (local.set $v (f64x2.add (local.get $v) (f64x2.mul (local.get $pw2) (v128.load (i32.add (local.get $r5) (local.get $x))))))
        (local.set $gt (f64x2.gt (local.get $v) (local.get $best)))
        (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $gt)))
        (local.set $bestI (v128.bitselect (local.get $index) (local.get $bestI) (local.get $gt)))
        (local.set $index (i64x2.add (local.get $index) (i64x2.splat (i64.const 2))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br_if $cols (i32.lt_u (local.get $x) (i32.const 1024))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $y) (i32.const 128))))
    (local.set $b0 (f64x2.extract_lane 0 (local.get $best)))
    (local.set $b1 (f64x2.extract_lane 1 (local.get $best)))
    (local.set $i0 (i32.wrap_i64 (i64x2.extract_lane 0 (local.get $bestI))))
    (local.set $i1 (i32.wrap_i64 (i64x2.extract_lane 1 (local.get $bestI))))
    (if (result i32) (f64.gt (local.get $b1) (local.get $b0))
      (then (local.get $i1))
      (else
        (if (result i32) (f64.eq (local.get $b1) (local.get $b0))
          (then (select (local.get $i0) (local.get $i1) (i32.lt_u (local.get $i0) (local.get $i1))))
          (else (local.get $i0)))))))
