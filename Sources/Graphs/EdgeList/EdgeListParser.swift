/// The line scanner behind `EdgeList.parse`; works on UTF-8 bytes and computes character columns
/// only when it reports an error.
struct EdgeListParser {
  let file: String
  let requiredNodeCount: Int?
  let maximumNodeCount: Int

  private var declaredNodeCount: Int?
  private var edges: [(Int, Int)] = []
  private var firstLine: [Edge: Int] = [:]  // lookups only: iteration order never matters
  private var largestId = -1

  // The line being scanned.
  private var bytes: [UInt8] = []
  private var lineStart = 0
  private var lineEnd = 0
  private var lineNumber = 0

  init(file: String, requiredNodeCount: Int?, maximumNodeCount: Int) {
    self.file = file
    self.requiredNodeCount = requiredNodeCount
    self.maximumNodeCount = maximumNodeCount
  }

  mutating func parse(_ input: [UInt8], requireConnected: Bool) throws(EdgeListError) -> Graph {
    bytes = input
    if let required = requiredNodeCount, required < 1 || required > maximumNodeCount {
      throw wholeFile(
        .invalidNodeCount, text: "\(required)",
        expected: "a node count in 1...\(maximumNodeCount) from the caller")
    }
    var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0  // UTF-8 byte-order mark
    while start <= bytes.count {
      let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
      lineNumber += 1
      lineStart = start
      lineEnd = end
      try scanLine()
      start = end + 1
    }
    guard let n = declaredNodeCount ?? requiredNodeCount ?? (largestId >= 0 ? largestId + 1 : nil) else {
      throw wholeFile(.empty, text: "", expected: "at least one edge or a 'nodes N' line")
    }
    // Every edge was checked for range, self-loops and duplicates above, so this cannot fail.
    guard let graph = try? Graph(nodeCount: n, edges: edges) else {
      preconditionFailure("edge list validated but rejected by Graph")
    }
    if requireConnected {
      let components = graph.connectedComponents()
      if components.count > 1 {
        throw wholeFile(
          .disconnected(
            components: components.count, representatives: Array(components.representatives.prefix(5))),
          text: "", expected: "a connected graph")
      }
    }
    return graph
  }

  // MARK: One line

  private mutating func scanLine() throws(EdgeListError) {
    var p = skipSpace(from: lineStart)
    if p == lineEnd || bytes[p] == UInt8(ascii: "#") { return }
    if isLetter(bytes[p]) {
      try scanDeclaration(at: p)
      return
    }
    let (a, aEnd) = try scanId(at: p, expected: "a node id (a non-negative integer)")
    let startA = p
    p = skipSpace(from: aEnd)
    let spaceBefore = p > aEnd
    if p < lineEnd, bytes[p] == UInt8(ascii: ",") || bytes[p] == UInt8(ascii: "-") {
      let separator = p
      p = skipSpace(from: p + 1)
      if bytes[separator] == UInt8(ascii: "-"), spaceBefore, p == separator + 1, p < lineEnd,
        isDigit(bytes[p])
      {
        // "1 -2" reads as a negative id, not as the edge 1-2.
        throw error(.malformed, at: separator, expected: "a node id (a non-negative integer)")
      }
    } else if !spaceBefore {
      throw error(.malformed, at: p, expected: "a second node id")
    }
    let startB = p
    if p == lineEnd || bytes[p] == UInt8(ascii: "#") {
      throw error(.malformed, at: p, expected: "a second node id")
    }
    let (b, bEnd) = try scanId(at: p, expected: "a node id (a non-negative integer)")
    p = skipSpace(from: bEnd)
    if p < lineEnd && bytes[p] != UInt8(ascii: "#") {
      throw error(.malformed, at: p, expected: "end of line or a '#' comment")
    }
    try checkRange(a, at: startA)
    try checkRange(b, at: startB)
    let edgeText = text(startA..<bEnd)
    guard a != b else {
      throw error(.selfLoop, at: startA, text: edgeText, expected: "two different nodes")
    }
    let edge = Edge(a, b)
    if let first = firstLine[edge] {
      throw error(.duplicate(firstLine: first), at: startA, text: edgeText, expected: "each edge once")
    }
    firstLine[edge] = lineNumber
    edges.append((a, b))
    largestId = max(largestId, a, b)
  }

  /// `nodes N`, `nodes: N` or `nodes=N`, once, before the first edge.
  private mutating func scanDeclaration(at start: Int) throws(EdgeListError) {
    var p = start
    while p < lineEnd && isLetter(bytes[p]) { p += 1 }
    guard String(decoding: bytes[start..<p], as: UTF8.self).lowercased() == "nodes" else {
      throw error(.malformed, at: start, expected: "a node id (a non-negative integer) or 'nodes N'")
    }
    guard declaredNodeCount == nil && edges.isEmpty else {
      throw error(.malformed, at: start, expected: "a single 'nodes N' line before the first edge")
    }
    p = skipSpace(from: p)
    if p < lineEnd, bytes[p] == UInt8(ascii: ":") || bytes[p] == UInt8(ascii: "=") {
      p = skipSpace(from: p + 1)
    }
    let (count, countEnd) = try scanId(at: p, expected: "a node count (a positive integer)")
    let declaration = text(start..<countEnd)
    guard count >= 1 else {
      throw error(.invalidNodeCount, at: p, text: text(p..<countEnd), expected: "at least 1")
    }
    guard count <= maximumNodeCount else {
      throw error(
        .tooLarge(limit: maximumNodeCount), at: p, text: text(p..<countEnd),
        expected: "a node count of at most \(maximumNodeCount)")
    }
    if let required = requiredNodeCount, required != count {
      throw error(
        .nodeCountMismatch(declared: count, required: required), at: start, text: declaration,
        expected: "the node count the caller requires")
    }
    let after = skipSpace(from: countEnd)
    if after < lineEnd && bytes[after] != UInt8(ascii: "#") {
      throw error(.malformed, at: after, expected: "end of line or a '#' comment")
    }
    declaredNodeCount = count
  }

  // MARK: Tokens

  /// A decimal integer starting at `start` that ends at a separator; saturates at Int.max.
  private func scanId(at start: Int, expected: String) throws(EdgeListError) -> (Int, Int) {
    var p = start
    var value = 0
    while p < lineEnd && isDigit(bytes[p]) {
      let (times10, o1) = value.multipliedReportingOverflow(by: 10)
      let (next, o2) = times10.addingReportingOverflow(Int(bytes[p] - UInt8(ascii: "0")))
      value = o1 || o2 ? Int.max : next
      p += 1
    }
    guard p > start, p == lineEnd || isSeparator(bytes[p]) else {
      throw error(.malformed, at: start, expected: expected)
    }
    return (value, p)
  }

  private func checkRange(_ id: Int, at start: Int) throws(EdgeListError) {
    let idText = text(start..<tokenEnd(from: start))
    if let n = declaredNodeCount ?? requiredNodeCount {
      if id >= n {
        throw error(.outOfRange(nodeCount: n), at: start, text: idText, expected: "a node id in 0..<\(n)")
      }
    } else if id >= maximumNodeCount {
      throw error(
        .tooLarge(limit: maximumNodeCount), at: start, text: idText,
        expected: "a node id below \(maximumNodeCount)")
    }
  }

  private func skipSpace(from start: Int) -> Int {
    var p = start
    while p < lineEnd && isSpace(bytes[p]) { p += 1 }
    return p
  }

  /// The end of the token at `start`: the next space, comma, '#' or end of line, but at least one
  /// whole character when `start` is not at the end of the line (so a stray ',' or '#' is shown).
  private func tokenEnd(from start: Int) -> Int {
    var p = start
    while p < lineEnd && !isSpace(bytes[p]) && bytes[p] != UInt8(ascii: ",") && bytes[p] != UInt8(ascii: "#") {
      p += 1
    }
    if p == start && p < lineEnd {
      p += 1
      while p < lineEnd && bytes[p] & 0xC0 == 0x80 { p += 1 }  // UTF-8 continuation bytes
    }
    return p
  }

  private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0B || b == 0x0C }
  private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
  private func isLetter(_ b: UInt8) -> Bool {
    (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z")
  }
  private func isSeparator(_ b: UInt8) -> Bool {
    isSpace(b) || b == UInt8(ascii: ",") || b == UInt8(ascii: "-") || b == UInt8(ascii: "#")
  }

  private func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

  // MARK: Errors

  /// An error at byte offset `position` of the current line; `text` defaults to the token there.
  private func error(
    _ kind: EdgeListError.Kind, at position: Int, text offending: String? = nil, expected: String
  ) -> EdgeListError {
    let column = String(decoding: bytes[lineStart..<position], as: UTF8.self).count + 1
    return EdgeListError(
      file: file, line: lineNumber, column: column,
      text: offending ?? text(position..<tokenEnd(from: position)), kind: kind, expected: expected)
  }

  private func wholeFile(_ kind: EdgeListError.Kind, text: String, expected: String) -> EdgeListError {
    EdgeListError(file: file, line: nil, column: nil, text: text, kind: kind, expected: expected)
  }
}
