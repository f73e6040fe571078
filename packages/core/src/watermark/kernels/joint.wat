(module
  ;; The candidates' joint peak (joint-peak.ts): the six standardised z surfaces of one sync, f64 [128 x 128] each at
  ;; byte offsets 0 (the reference), 131072, ... 655360 (payload tiles 1 to 5); a candidate's ten shift values (i32 dx,
  ;; dy of tiles 1 to 5) at 786432.
  (memory (export "memory") 13)
  ;; peak(shifts, rw, pw): the index of the first maximum over positions i = y * 128 + x of
  ;;   rw * ref[i] + pw * tile1[(y + dy1) & 127][(x + dx1) & 127] + ... + pw * tile5[...],
  ;; summed in that order, as the TypeScript loop does (no fused multiply-add in WebAssembly: the same sums to the bit).
  (func (export "peak") (param $shifts i32) (param $rw f64) (param $pw f64) (result i32)
    (local $y i32) (local $x i32) (local $row i32)
    (local $dx1 i32) (local $dx2 i32) (local $dx3 i32) (local $dx4 i32) (local $dx5 i32)
    (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $r4 i32) (local $r5 i32)
    (local $v f64) (local $best f64) (local $bestI i32)
    (local.set $dx1 (i32.load offset=0 (local.get $shifts)))
    (local.set $dx2 (i32.load offset=8 (local.get $shifts)))
    (local.set $dx3 (i32.load offset=16 (local.get $shifts)))
    (local.set $dx4 (i32.load offset=24 (local.get $shifts)))
    (local.set $dx5 (i32.load offset=32 (local.get $shifts)))
    (local.set $best (f64.const -inf))
    (loop $rows
      ;; Row bases in bytes: surface t at t * 131072, row ((y + dy) & 127) * 1024.
      (local.set $row (i32.shl (local.get $y) (i32.const 10)))
      (local.set $r1 (i32.add (i32.const 131072) (i32.shl (i32.and (i32.add (local.get $y) (i32.load offset=4 (local.get $shifts))) (i32.const 127)) (i32.const 10))))
      (local.set $r2 (i32.add (i32.const 262144) (i32.shl (i32.and (i32.add (local.get $y) (i32.load offset=12 (local.get $shifts))) (i32.const 127)) (i32.const 10))))
      (local.set $r3 (i32.add (i32.const 393216) (i32.shl (i32.and (i32.add (local.get $y) (i32.load offset=20 (local.get $shifts))) (i32.const 127)) (i32.const 10))))
      (local.set $r4 (i32.add (i32.const 524288) (i32.shl (i32.and (i32.add (local.get $y) (i32.load offset=28 (local.get $shifts))) (i32.const 127)) (i32.const 10))))
      (local.set $r5 (i32.add (i32.const 655360) (i32.shl (i32.and (i32.add (local.get $y) (i32.load offset=36 (local.get $shifts))) (i32.const 127)) (i32.const 10))))
      (local.set $x (i32.const 0))
      (loop $cols
        (local.set $v (f64.mul (local.get $rw) (f64.load (i32.add (local.get $row) (i32.shl (local.get $x) (i32.const 3))))))
        (local.set $v (f64.add (local.get $v) (f64.mul (local.get $pw) (f64.load (i32.add (local.get $r1) (i32.shl (i32.and (i32.add (local.get $x) (local.get $dx1)) (i32.const 127)) (i32.const 3)))))))
        (local.set $v (f64.add (local.get $v) (f64.mul (local.get $pw) (f64.load (i32.add (local.get $r2) (i32.shl (i32.and (i32.add (local.get $x) (local.get $dx2)) (i32.const 127)) (i32.const 3)))))))
        (local.set $v (f64.add (local.get $v) (f64.mul (local.get $pw) (f64.load (i32.add (local.get $r3) (i32.shl (i32.and (i32.add (local.get $x) (local.get $dx3)) (i32.const 127)) (i32.const 3)))))))
        (local.set $v (f64.add (local.get $v) (f64.mul (local.get $pw) (f64.load (i32.add (local.get $r4) (i32.shl (i32.and (i32.add (local.get $x) (local.get $dx4)) (i32.const 127)) (i32.const 3)))))))
        (local.set $v (f64.add (local.get $v) (f64.mul (local.get $pw) (f64.load (i32.add (local.get $r5) (i32.shl (i32.and (i32.add (local.get $x) (local.get $dx5)) (i32.const 127)) (i32.const 3)))))))
        (if (f64.gt (local.get $v) (local.get $best))
          (then (local.set $best (local.get $v)) (local.set $bestI (i32.add (i32.shl (local.get $y) (i32.const 7)) (local.get $x)))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br_if $cols (i32.lt_u (local.get $x) (i32.const 128))))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $y) (i32.const 128))))
    (local.get $bestI)))
