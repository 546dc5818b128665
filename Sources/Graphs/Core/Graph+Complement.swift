extension Graph {
  /// The complement: same nodes, and an edge exactly where this graph has none. O(n²).
  public func complement() -> Graph {
    let n = nodeCount
    var rowStart = [Int](repeating: 0, count: n + 1)
    var neighbourList: [Int] = []
    neighbourList.reserveCapacity(n * (n - 1) - 2 * edgeCount)
    for i in 0..<n {
      var present = neighbours(of: i).makeIterator()
      var next = present.next()
      for j in 0..<n where j != i {
        if next == j {
          next = present.next()
        } else {
          neighbourList.append(j)
        }
      }
      rowStart[i + 1] = neighbourList.count
    }
    return Graph(uncheckedRowStart: rowStart, neighbourList: neighbourList)
  }
}
