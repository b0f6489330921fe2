package dev.trendstream.peer;

/** Minimal JSON string quoting (the output values are small flat objects). */
final class Json {
  private Json() {}

  static String str(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
  }

  static String num(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) return "null";
    return Double.toString(Math.round(d * 1000) / 1000.0);
  }
}
