import Foundation

/// Builds one standalone SVG document: shapes in user units, text escaped for XML.
struct SVGCanvas {
  let width: Double
  let height: Double
  private(set) var elements: [String] = []

  init(width: Double, height: Double) {
    self.width = width
    self.height = height
  }

  static func escape(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      default: out.append(character)
      }
    }
    return out
  }

  static func number(_ value: Double) -> String {
    value.isFinite ? String(format: "%.2f", value) : "0"
  }

  mutating func add(_ element: String) { elements.append(element) }

  mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil) {
    let n = Self.number
    add(
      "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
        + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>")
  }

  mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2, series: String? = nil) {
    guard !points.isEmpty else { return }
    let list = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
    add(
      "<polyline fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\" stroke-linejoin=\"round\""
        + (series.map { " data-series=\"\(Self.escape($0))\"" } ?? "") + " points=\"\(list)\"/>")
  }

  mutating func polygon(_ points: [(Double, Double)], fill: String, opacity: Double) {
    guard points.count >= 3 else { return }
    let list = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
    add("<polygon fill=\"\(fill)\" fill-opacity=\"\(Self.number(opacity))\" stroke=\"none\" points=\"\(list)\"/>")
  }

  mutating func circle(_ x: Double, _ y: Double, radius: Double, fill: String, stroke: String = "none", title: String? = nil) {
    let n = Self.number
    let shape = "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(radius))\" fill=\"\(fill)\" stroke=\"\(stroke)\""
    if let title { add(shape + "><title>\(Self.escape(title))</title></circle>") } else { add(shape + "/>") }
  }

  mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String = "none", title: String? = nil) {
    let n = Self.number
    let shape = "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(h))\" fill=\"\(fill)\" stroke=\"\(stroke)\""
    if let title { add(shape + "><title>\(Self.escape(title))</title></rect>") } else { add(shape + "/>") }
  }

  enum Anchor: String { case start, middle, end }

  mutating func text(
    _ x: Double, _ y: Double, _ content: String, size: Double = 12, anchor: Anchor = .start, rotate: Bool = false,
    weight: String = "normal", fill: String = "#222"
  ) {
    let n = Self.number
    let transform = rotate ? " transform=\"rotate(-90 \(n(x)) \(n(y)))\"" : ""
    add(
      "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor.rawValue)\" font-weight=\"\(weight)\" fill=\"\(fill)\"\(transform)>\(Self.escape(content))</text>"
    )
  }

  /// The document, with a title for screen readers and the page's outline.
  func document(title: String) -> String {
    """
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Self.number(width)) \(Self.number(height))" width="\(Self.number(width))" height="\(Self.number(height))" font-family="Helvetica, Arial, sans-serif" role="img" aria-label="\(Self.escape(title))">
    <title>\(Self.escape(title))</title>
    <rect x="0" y="0" width="\(Self.number(width))" height="\(Self.number(height))" fill="#ffffff"/>
    \(elements.joined(separator: "\n"))
    </svg>
    """
  }
}

/// Okabe & Ito's colour-blind-safe palette (2008), black last; cycles for more series.
enum Palette {
  static let colours = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
  static func colour(_ index: Int) -> String { colours[index % colours.count] }

  /// A sequential scale from light to dark blue (viridis would need more stops): t in [0, 1].
  static func sequential(_ t: Double) -> String {
    let t = min(max(t.isFinite ? t : 0, 0), 1)
    let from = (247.0, 251.0, 255.0), to = (8.0, 48.0, 107.0)
    let r = Int(from.0 + (to.0 - from.0) * t), g = Int(from.1 + (to.1 - from.1) * t), b = Int(from.2 + (to.2 - from.2) * t)
    return String(format: "#%02X%02X%02X", r, g, b)
  }
}

/// Axis ticks at 1, 2 or 5 × 10^k (Heckbert's "nice numbers").
enum Ticks {
  static func nice(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
    guard low.isFinite, high.isFinite else { return [] }
    if high <= low { return [low] }
    let rough = (high - low) / Double(max(count - 1, 1))
    let magnitude = pow(10, floor(log10(rough)))
    let fraction = rough / magnitude
    let step = (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * magnitude
    // Multiples of the step, computed as k/(1/step) when the step is below one so that 3 × 0.2
    // prints as 0.6.
    let inverse = step < 1 ? (1 / step).rounded() : 0
    func tick(_ k: Double) -> Double { inverse > 0 ? k / inverse : k * step }
    var ticks: [Double] = []
    var k = ceil(low / step - 1e-9)
    while tick(k) <= high + step * 1e-9 && ticks.count < 50 {
      ticks.append(k == 0 ? 0 : tick(k))
      k += 1
    }
    return ticks
  }

  /// Tick labels with as few digits as tell them apart.
  static func label(_ value: Double) -> String {
    let magnitude = abs(value)
    if magnitude == 0 { return "0" }
    if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.1e", value) }
    if magnitude >= 100 { return String(format: "%.0f", value) }
    var text = String(format: "%.3f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }
}
