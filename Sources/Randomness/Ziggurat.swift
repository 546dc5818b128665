import CMathShim

/// Bulk standard normal draws by the ziggurat method (Marsaglia & Tsang, "The ziggurat method for
/// generating random variables", J. Stat. Softw. 5(8), 2000), 256 layers: about one 64-bit word
/// per draw and the density evaluated for ~1% of draws, against a logarithm, a square root and a
/// sine–cosine pair per two Box–Muller draws.
extension RandomStream {
  /// Writes `count` standard normal draws by the ziggurat method: several times faster than
  /// `fillGaussians`, for bulk draws such as synthetic data sets. The values are not Box–Muller's,
  /// so a sampler, once chosen for a quantity, stays chosen (results would change otherwise).
  ///
  /// Each draw takes one 64-bit word (bits 0–7 pick the layer, bit 8 the sign, bits 12–63 the
  /// magnitude); the ~1% that fall outside a layer's inner rectangle take one more word for the
  /// wedge test or two per attempt in the tail. Starts at the stream's next whole block (buffered
  /// words and a spare Gaussian are dropped) and leaves the stream at the block after the last one
  /// it read.
  public mutating func fillNormals(_ output: UnsafeMutablePointer<Double>, count: Int) {
    available = 0
    spareGaussian = nil
    guard count > 0 else { return }
    let tables = ZigguratTables.shared
    // Enough words for all draws and the usual ~1% of second words, computed at once (in groups
    // of eight blocks, up to 256 words at a time).
    let capacity = min(256, (count + count / 32 + 4 + 15) / 16 * 16)
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: capacity) { storage in
      guard let base = storage.baseAddress else { return }
      var words = WordBuffer(generator: generator, counter: counter, storage: base, capacity: capacity)
      tables.scale.withUnsafeBufferPointer { scale in
        tables.inside.withUnsafeBufferPointer { inside in
          guard let scaleBase = scale.baseAddress, let insideBase = inside.baseAddress else { return }
          var i = 0
          while i < count {
            if words.index == words.capacity { words.refill() }
            // The fast path in C (vector code for the CPU): one word per draw, up to the first
            // word whose candidate lies outside its layer's inner rectangle.
            let run = fedsim_ziggurat_fast(
              words.storage + words.index, min(words.capacity - words.index, count - i), scaleBase, insideBase, output + i)
            words.index += run
            i += run
            guard i < count, words.index < words.capacity else { continue }
            let word = words.next()
            let layer = Int(word & 0xFF)
            let sign = (word & 0x100) &<< 55
            let x = Double(Int64(bitPattern: word &>> 12)) * scale[layer]
            output[i] = Double(bitPattern: tables.slowPath(layer: layer, x: x, words: &words).bitPattern ^ sign)
            i += 1
          }
        }
      }
      counter.0 = words.nextBlock
    }
  }
}

/// The 256-layer ziggurat of the standard normal density f(x) = exp(−x²/2): layer i spans
/// [f(x_i), f(x_{i+1})] in height and [0, x_i] in width, and every layer — the base with its tail
/// included — has the same area v.
@usableFromInline
struct ZigguratTables: Sendable {
  /// Right edge of the base layer (Marsaglia & Tsang's constant for 256 layers).
  static let r = 3.6541528853610088
  /// Area of each layer.
  static let v = 4.92867323399e-3
  /// x_i · 2⁻⁵² (x_0 = v / f(r), the base layer's width with the tail folded in): turns a 52-bit
  /// magnitude into a candidate in [0, x_i).
  let scale: [Double]
  /// ⌊2⁵² · x_{i+1} / x_i⌋: magnitudes below lie under the density whatever the height.
  let inside: [UInt64]
  /// f(x_i) for i = 0…256, with x_256 = 0.
  let density: [Double]

  static let shared = ZigguratTables()

  init() {
    var x = [Double](repeating: 0, count: 257)
    x[0] = Self.v / _exp(-0.5 * Self.r * Self.r)
    x[1] = Self.r
    for i in 2..<256 { x[i] = (-2 * _log(Self.v / x[i - 1] + _exp(-0.5 * x[i - 1] * x[i - 1]))).squareRoot() }
    scale = (0..<256).map { x[$0] * 0x1p-52 }
    inside = (0..<256).map { UInt64(x[$0 + 1] / x[$0] * 0x1p52) }
    density = x.map { _exp(-0.5 * $0 * $0) }
  }

  /// A candidate outside the layer's inner rectangle: the tail for the base layer, the wedge test
  /// otherwise; a rejected candidate starts over with a new word. Returns |draw|.
  func slowPath(layer firstLayer: Int, x firstX: Double, words: inout WordBuffer) -> Double {
    var layer = firstLayer, x = firstX
    while true {
      if layer == 0 {
        // The tail beyond r (Marsaglia 1964): r + a with a = e₁/r, accepted when 2e₂ > a².
        while true {
          let a = -_log(1 - Double(words.next() &>> 11) * 0x1p-53) / Self.r
          let b = -_log(1 - Double(words.next() &>> 11) * 0x1p-53)
          if b + b > a * a { return Self.r + a }
        }
      }
      // The wedge: a height uniform over the layer, accepted when under the density.
      let u = Double(words.next() &>> 11) * 0x1p-53
      if density[layer] + u * (density[layer + 1] - density[layer]) < _exp(-0.5 * x * x) { return x }
      let word = words.next()
      layer = Int(word & 0xFF)
      let magnitude = word &>> 12
      x = Double(Int64(bitPattern: magnitude)) * scale[layer]
      if magnitude < inside[layer] { return x }
    }
  }
}

/// A stream's 64-bit words, computed a buffer at a time (eight Philox blocks side by side), in
/// the order of `nextUInt64`: block.0 << 32 | block.1, then block.2 << 32 | block.3.
@usableFromInline
struct WordBuffer {
  let generator: Philox4x32
  let storage: UnsafeMutablePointer<UInt64>
  /// Words per buffer: a multiple of 16 (eight blocks).
  let capacity: Int
  /// Counter of the next block to compute.
  var counter: (UInt32, UInt32, UInt32, UInt32)
  var index: Int
  /// Counter of the buffer's first block.
  var bufferStart: UInt32

  init(generator: Philox4x32, counter: (UInt32, UInt32, UInt32, UInt32), storage: UnsafeMutablePointer<UInt64>, capacity: Int) {
    precondition(capacity > 0 && capacity % 16 == 0, "a word buffer holds whole groups of eight blocks")
    self.generator = generator
    self.counter = counter
    self.storage = storage
    self.capacity = capacity
    index = capacity
    bufferStart = counter.0
  }

  /// The counter of the block after the last one a word was taken from.
  var nextBlock: UInt32 { index == capacity ? counter.0 : bufferStart &+ UInt32((index + 1) >> 1) }

  @inline(__always)
  mutating func next() -> UInt64 {
    if index == capacity { refill() }
    defer { index += 1 }
    return storage[index]
  }

  @inline(never)
  mutating func refill() {
    bufferStart = counter.0
    // The same words as `Philox4x32.blocks8`, from C compiled for the CPU's widest integer
    // multiply (AVX-512, AVX2 or the baseline, chosen at load time).
    let groups = capacity / 16
    fedsim_philox4x32_words(generator.key.0, generator.key.1, counter.0, counter.1, counter.2, counter.3, storage, groups)
    counter.0 &+= UInt32(truncatingIfNeeded: 8 * groups)
    index = 0
  }
}
