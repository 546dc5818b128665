import Randomness

/// Splits `total` items into integer parts proportional to `weights` by the largest-remainder
/// (Hamilton) method: each part gets ⌊total·w_i/Σw⌋, and the items left over go one each to the
/// largest fractional remainders, ties to the lower index. Parts of zero weight get nothing; the
/// parts sum to `total`.
///
/// - Precondition: weights are non-negative and finite with a positive sum, and total ≥ 0.
func apportion(_ total: Int, weights: [Double]) -> [Int] {
  let sum = weights.reduce(0, +)
  precondition(sum > 0 && sum.isFinite && total >= 0, "apportion needs positive finite weights")
  var parts = [Int](repeating: 0, count: weights.count)
  var remainders: [(remainder: Double, index: Int)] = []
  var assigned = 0
  for (i, weight) in weights.enumerated() {
    let exact = Double(total) * (weight / sum)
    let whole = min(Int(exact.rounded(.down)), total)
    parts[i] = whole
    assigned += whole
    if weight > 0 { remainders.append((exact - Double(whole), i)) }
  }
  remainders.sort { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }
  var k = 0
  while assigned < total {
    parts[remainders[k % remainders.count].index] += 1
    assigned += 1
    k += 1
  }
  while assigned > total {  // only reachable through rounding in the floors; take from the largest
    let largest = parts.indices.max { parts[$0] < parts[$1] } ?? 0
    parts[largest] -= 1
    assigned -= 1
  }
  return parts
}

/// Fisher–Yates shuffle driven by a random stream (deterministic for given stream coordinates).
func shuffle<T>(_ values: inout [T], using random: inout RandomStream) {
  guard values.count > 1 else { return }
  for k in stride(from: values.count - 1, to: 0, by: -1) {
    values.swapAt(k, random.nextInt(below: k + 1))
  }
}
