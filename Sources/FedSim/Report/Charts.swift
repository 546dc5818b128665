import Foundation

/// A line (or point) series of an XY chart, with an optional band (mean ± sd over seeds).
struct ChartSeries {
  let name: String
  let colour: String
  var points: [(x: Double, y: Double)]
  var band: [(x: Double, low: Double, high: Double)] = []
  /// Points with markers (frontiers, scatter) instead of a bare line.
  var markers = false
}

/// What a chart is: its title, axes and series. Charts render to standalone SVG.
struct XYChart {
  let title: String
  let xLabel: String
  let yLabel: String
  var series: [ChartSeries]
  /// Logarithmic x axis (bytes sent span orders of magnitude).
  var logX = false
  /// Whole-number x ticks only (rounds, layers).
  var integerX = false

  static let width = 660.0, height = 400.0
  static let margin = (left: 72.0, right: 190.0, top: 36.0, bottom: 52.0)

  /// Finite points only: a diverged run's NaN breaks its line instead of bending the axes.
  var finitePoints: [(x: Double, y: Double)] {
    series.flatMap { $0.points + $0.band.flatMap { [($0.x, $0.low), ($0.x, $0.high)] } }.filter {
      $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0)
    }
  }

  var isEmpty: Bool { finitePoints.isEmpty }

  func svg() -> String {
    var canvas = SVGCanvas(width: Self.width, height: Self.height)
    let m = Self.margin
    let plotWidth = Self.width - m.left - m.right, plotHeight = Self.height - m.top - m.bottom
    canvas.text(Self.width / 2 - (m.right - m.left) / 2, 22, title, size: 15, anchor: .middle, weight: "bold")
    let points = finitePoints
    guard !points.isEmpty else {
      canvas.rect(m.left, m.top, plotWidth, plotHeight, fill: "#fafafa", stroke: "#ccc")
      canvas.text(m.left + plotWidth / 2, m.top + plotHeight / 2, "no data", size: 14, anchor: .middle, fill: "#888")
      return canvas.document(title: title + " (no data)")
    }
    func transform(_ x: Double) -> Double { logX ? log10(x) : x }
    var xs = points.map { transform($0.x) }, ys = points.map(\.y)
    var (xLow, xHigh) = (xs.min()!, xs.max()!), (yLow, yHigh) = (ys.min()!, ys.max()!)
    if xHigh == xLow { (xLow, xHigh) = (xLow - 0.5, xHigh + 0.5) }
    if yHigh == yLow { (yLow, yHigh) = (yLow - max(abs(yLow) * 0.05, 0.5), yHigh + max(abs(yHigh) * 0.05, 0.5)) }
    let pad = (yHigh - yLow) * 0.05
    yLow -= pad
    yHigh += pad
    xs = []
    ys = []
    func px(_ x: Double) -> Double { m.left + (transform(x) - xLow) / (xHigh - xLow) * plotWidth }
    func py(_ y: Double) -> Double { m.top + (1 - (y - yLow) / (yHigh - yLow)) * plotHeight }
    // Grid and ticks.
    for tick in Ticks.nice(yLow, yHigh) {
      canvas.line(m.left, py(tick), m.left + plotWidth, py(tick), stroke: "#e5e5e5")
      canvas.text(m.left - 6, py(tick) + 4, Ticks.label(tick), size: 11, anchor: .end)
    }
    var xTicks = logX || integerX ? Ticks.nice(xLow, xHigh).filter { $0 == $0.rounded() } : Ticks.nice(xLow, xHigh)
    if integerX && xTicks.count < 2 { xTicks = Array(stride(from: ceil(xLow), through: floor(xHigh), by: 1)) }
    for tick in xTicks {
      let x = m.left + (tick - xLow) / (xHigh - xLow) * plotWidth
      canvas.line(x, m.top, x, m.top + plotHeight, stroke: "#f0f0f0")
      canvas.text(x, m.top + plotHeight + 16, logX ? Ticks.label(pow(10, tick)) : Ticks.label(tick), size: 11, anchor: .middle)
    }
    canvas.line(m.left, m.top + plotHeight, m.left + plotWidth, m.top + plotHeight, stroke: "#444")
    canvas.line(m.left, m.top, m.left, m.top + plotHeight, stroke: "#444")
    canvas.text(m.left + plotWidth / 2, Self.height - 12, xLabel, size: 12, anchor: .middle)
    canvas.text(16, m.top + plotHeight / 2, yLabel, size: 12, anchor: .middle, rotate: true)
    // Bands under lines.
    for series in series where !series.band.isEmpty {
      let band = series.band.filter { $0.x.isFinite && $0.low.isFinite && $0.high.isFinite && (!logX || $0.x > 0) }
      let upper = band.map { (px($0.x), py($0.high)) }, lower = band.reversed().map { (px($0.x), py($0.low)) }
      canvas.polygon(upper + lower, fill: series.colour, opacity: 0.18)
    }
    for series in series {
      // A non-finite value ends a segment: the gap shows where a run diverged.
      var segment: [(Double, Double)] = []
      var segments: [[(Double, Double)]] = []
      for point in series.points {
        if point.x.isFinite && point.y.isFinite && (!logX || point.x > 0) {
          segment.append((px(point.x), py(point.y)))
        } else if !segment.isEmpty {
          segments.append(segment)
          segment = []
        }
      }
      if !segment.isEmpty { segments.append(segment) }
      for part in segments { canvas.polyline(part, stroke: series.colour, width: series.markers ? 1.5 : 2, series: series.name) }
      if series.markers || series.points.count == 1 {
        for part in segments { for (x, y) in part { canvas.circle(x, y, radius: 4, fill: series.colour, stroke: "#fff") } }
      }
    }
    // Legend.
    for (index, series) in series.enumerated().prefix(16) {
      let y = m.top + 8 + Double(index) * 18
      canvas.line(Self.width - m.right + 14, y, Self.width - m.right + 34, y, stroke: series.colour, width: 3)
      canvas.text(Self.width - m.right + 40, y + 4, String(series.name.prefix(28)), size: 10)
    }
    if series.count > 16 { canvas.text(Self.width - m.right + 14, m.top + 8 + 16 * 18, "… \(series.count - 16) more", size: 11) }
    return canvas.document(title: title)
  }
}

/// One column of dots per run: the clients' final values (personalisation spreads them).
struct StripChart {
  let title: String
  let yLabel: String
  /// (column label, colour, values).
  let columns: [(label: String, colour: String, values: [Double])]

  var isEmpty: Bool { columns.allSatisfy { $0.values.filter(\.isFinite).isEmpty } }

  func svg() -> String {
    let width = max(360.0, 90 + 70 * Double(columns.count)), height = 400.0
    var canvas = SVGCanvas(width: width, height: height)
    let left = 90.0, top = 36.0, bottom = 110.0
    let plotWidth = width - left - 20, plotHeight = height - top - bottom
    canvas.text(width / 2, 22, title, size: 15, anchor: .middle, weight: "bold")
    let all = columns.flatMap(\.values).filter(\.isFinite)
    guard var low = all.min(), var high = all.max() else {
      canvas.text(width / 2, height / 2, "no data", size: 14, anchor: .middle, fill: "#888")
      return canvas.document(title: title + " (no data)")
    }
    if high == low { (low, high) = (low - 0.5, high + 0.5) }
    let pad = (high - low) * 0.05
    low -= pad
    high += pad
    func py(_ y: Double) -> Double { top + (1 - (y - low) / (high - low)) * plotHeight }
    for tick in Ticks.nice(low, high) {
      canvas.line(left, py(tick), left + plotWidth, py(tick), stroke: "#e5e5e5")
      canvas.text(left - 6, py(tick) + 4, Ticks.label(tick), size: 11, anchor: .end)
    }
    canvas.line(left, top, left, top + plotHeight, stroke: "#444")
    canvas.text(16, top + plotHeight / 2, yLabel, size: 12, anchor: .middle, rotate: true)
    let step = plotWidth / Double(max(columns.count, 1))
    for (index, column) in columns.enumerated() {
      let centre = left + step * (Double(index) + 0.5)
      for (k, value) in column.values.enumerated() where value.isFinite {
        // A deterministic jitter so that equal values stay visible.
        let jitter = (Double((k * 37) % 11) / 10 - 0.5) * min(step * 0.5, 30)
        canvas.circle(centre + jitter, py(value), radius: 3.5, fill: column.colour, title: "\(column.label): client \(k), \(value)")
      }
      let finite = column.values.filter(\.isFinite)
      if !finite.isEmpty {
        let mean = finite.reduce(0, +) / Double(finite.count)
        canvas.line(centre - step * 0.35, py(mean), centre + step * 0.35, py(mean), stroke: "#222", width: 2)
      }
      canvas.add(
        "<text x=\"\(SVGCanvas.number(centre))\" y=\"\(SVGCanvas.number(top + plotHeight + 14))\" font-size=\"11\" text-anchor=\"end\" transform=\"rotate(-35 \(SVGCanvas.number(centre)) \(SVGCanvas.number(top + plotHeight + 14)))\">\(SVGCanvas.escape(String(column.label.prefix(28))))</text>"
      )
    }
    return canvas.document(title: title)
  }
}

/// A matrix as a heatmap (trust weights: row i is what client i gives each client).
struct HeatmapChart {
  let title: String
  let matrix: [[Double]]

  func svg() -> String {
    let n = matrix.count
    let cell = max(6.0, min(36.0, 480.0 / Double(max(n, 1))))
    let left = 48.0, top = 40.0
    let width = left + cell * Double(n) + 110, height = top + cell * Double(n) + 40
    var canvas = SVGCanvas(width: width, height: height)
    canvas.text(width / 2, 22, title, size: 15, anchor: .middle, weight: "bold")
    let values = matrix.flatMap { $0 }.filter(\.isFinite)
    let high = max(values.max() ?? 1, 1e-12)
    for (i, row) in matrix.enumerated() {
      for (j, value) in row.enumerated() {
        canvas.rect(
          left + Double(j) * cell, top + Double(i) * cell, cell, cell, fill: Palette.sequential(value / high), stroke: "#fff",
          title: "client \(i) → \(j): \(value)")
      }
      if n <= 32 { canvas.text(left - 4, top + (Double(i) + 0.7) * cell, "\(i)", size: 10, anchor: .end) }
    }
    canvas.text(left + cell * Double(n) / 2, top + cell * Double(n) + 18, "sender j (row i: receiver's weights)", size: 11, anchor: .middle)
    // Colour scale.
    let scaleX = left + cell * Double(n) + 24
    for k in 0..<20 {
      canvas.rect(scaleX, top + Double(19 - k) * 8, 14, 8, fill: Palette.sequential(Double(k) / 19))
    }
    canvas.text(scaleX + 18, top + 8, Ticks.label(high), size: 10)
    canvas.text(scaleX + 18, top + 160, "0", size: 10)
    return canvas.document(title: title)
  }
}

/// The communication graph with each node coloured by a value (the client's final loss).
struct TopologyChart {
  let title: String
  let nodeCount: Int
  let edges: [(Int, Int)]
  let positions: [(x: Double, y: Double)]
  let values: [Int: Double]
  /// A server in the middle, linked to every client (server schedules).
  var server = false

  func svg() -> String {
    let size = 460.0
    var canvas = SVGCanvas(width: size + 140, height: size + 50)
    canvas.text((size + 140) / 2, 22, title, size: 15, anchor: .middle, weight: "bold")
    func p(_ i: Int) -> (Double, Double) { (30 + positions[i].x * (size - 60), 50 + positions[i].y * (size - 60)) }
    if server {
      let centre = (30 + 0.5 * (size - 60), 50 + 0.5 * (size - 60))
      for i in 0..<min(nodeCount, 2000) {
        let (x, y) = p(i)
        canvas.line(centre.0, centre.1, x, y, stroke: "#ccc", width: 0.8)
      }
      canvas.rect(centre.0 - 12, centre.1 - 12, 24, 24, fill: "#E69F00", stroke: "#333", title: "server")
    }
    for (a, b) in edges.prefix(20_000) {
      let (x1, y1) = p(a), (x2, y2) = p(b)
      canvas.line(x1, y1, x2, y2, stroke: "#bbb", width: 0.8)
    }
    let finite = values.values.filter(\.isFinite)
    let low = finite.min() ?? 0, high = finite.max() ?? 1
    let radius = nodeCount > 200 ? 2.5 : nodeCount > 50 ? 4 : 7
    for i in 0..<nodeCount {
      let (x, y) = p(i)
      let value = values[i]
      let colour = value.map { Palette.sequential(high > low ? 0.15 + 0.85 * ($0 - low) / (high - low) : 0.6) } ?? "#ddd"
      canvas.circle(x, y, radius: radius, fill: colour, stroke: "#333", title: "client \(i): \(value.map { "\($0)" } ?? "no value")")
    }
    let scaleX = size + 20
    for k in 0..<20 { canvas.rect(scaleX, 60 + Double(19 - k) * 8, 14, 8, fill: Palette.sequential(0.15 + 0.85 * Double(k) / 19)) }
    canvas.text(scaleX + 18, 68, finite.isEmpty ? "—" : Ticks.label(high), size: 10)
    canvas.text(scaleX + 18, 220, finite.isEmpty ? "—" : Ticks.label(low), size: 10)
    canvas.text(scaleX, 240, "final val loss", size: 10)
    return canvas.document(title: title)
  }

  /// Nodes on a circle (rings, tori, complete graphs) or placed by a few hundred iterations of a
  /// force layout (Fruchterman & Reingold 1991) from a deterministic start; coordinates in [0, 1].
  static func layout(nodeCount n: Int, edges: [(Int, Int)], circular: Bool) -> [(x: Double, y: Double)] {
    let circle = (0..<n).map { i -> (x: Double, y: Double) in
      let angle = 2 * Double.pi * Double(i) / Double(max(n, 1)) - Double.pi / 2
      return (0.5 + 0.5 * cos(angle), 0.5 + 0.5 * sin(angle))
    }
    guard !circular, n > 2, n <= 400 else { return circle }
    var position = circle.map { (x: $0.x, y: $0.y) }
    let k = (1.0 / Double(n)).squareRoot()
    var temperature = 0.1
    for _ in 0..<200 {
      var shift = [(x: Double, y: Double)](repeating: (0, 0), count: n)
      for i in 0..<n {
        for j in (i + 1)..<n {
          let dx = position[i].x - position[j].x, dy = position[i].y - position[j].y
          let distance = max((dx * dx + dy * dy).squareRoot(), 1e-6)
          let force = k * k / distance
          shift[i].x += dx / distance * force
          shift[i].y += dy / distance * force
          shift[j].x -= dx / distance * force
          shift[j].y -= dy / distance * force
        }
      }
      for (a, b) in edges {
        let dx = position[a].x - position[b].x, dy = position[a].y - position[b].y
        let distance = max((dx * dx + dy * dy).squareRoot(), 1e-6)
        let force = distance * distance / k
        shift[a].x -= dx / distance * force
        shift[a].y -= dy / distance * force
        shift[b].x += dx / distance * force
        shift[b].y += dy / distance * force
      }
      for i in 0..<n {
        let length = max((shift[i].x * shift[i].x + shift[i].y * shift[i].y).squareRoot(), 1e-9)
        position[i].x += shift[i].x / length * min(length, temperature)
        position[i].y += shift[i].y / length * min(length, temperature)
      }
      temperature *= 0.97
    }
    let xs = position.map(\.x), ys = position.map(\.y)
    let (xLow, xHigh, yLow, yHigh) = (xs.min()!, xs.max()!, ys.min()!, ys.max()!)
    return position.map { ((($0.x - xLow) / max(xHigh - xLow, 1e-9)), (($0.y - yLow) / max(yHigh - yLow, 1e-9))) }
  }
}
