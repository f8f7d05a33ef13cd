// lolwut_family.cc — LOLWUT [VERSION v] [arguments ...], as Redis 7.0.15 (lolwut.c,
// lolwut5.c, lolwut6.c): VERSION 5 draws Georg Nees's "Schotter" in braille characters
// ([columns] [squares per row] [squares per column]), VERSION 6 a city skyline in ANSI
// colours ([columns] [rows]); any other version answers "Redis ver. <version>\n". Plain LOLWUT
// (Redis 7.0.15 answers only its version line) answers a PetaCore line, the Schotter and the
// version line. The art is random, as Redis's. A verbatim string ("txt") in RESP3.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "commands/context.h"
#include "commands/table.h"

namespace petacore::commands {
namespace {

/// The Redis version PetaCore answers as (INFO redis_version, HELLO).
constexpr std::string_view kRedisVersion = "7.0.0";

/// A canvas of small integer colours; writes outside it are ignored, reads outside are 0.
class Canvas {
 public:
  Canvas(int width, int height, int background)
      : width_(width), height_(height),
        pixels_(static_cast<size_t>(width) * height, static_cast<uint8_t>(background)) {}
  int width() const { return width_; }
  int height() const { return height_; }
  void Set(int x, int y, int color) {
    if (x >= 0 && x < width_ && y >= 0 && y < height_) {
      pixels_[static_cast<size_t>(y) * width_ + x] = static_cast<uint8_t>(color);
    }
  }
  int Get(int x, int y) const {
    if (x < 0 || x >= width_ || y < 0 || y >= height_) return 0;
    return pixels_[static_cast<size_t>(y) * width_ + x];
  }
  // Bresenham's line.
  void Line(int x0, int y0, int x1, int y1, int color) {
    int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
      Set(x0, y0, color);
      if (x0 == x1 && y0 == y1) break;
      int e2 = 2 * err;
      if (e2 >= dy) { err += dy; x0 += sx; }
      if (e2 <= dx) { err += dx; y0 += sy; }
    }
  }
  // A square of side `side` centred on (cx, cy), rotated by `angle` radians.
  void Square(int cx, int cy, double side, double angle, int color) {
    double radius = std::round(side / std::sqrt(2.0));
    int px[4], py[4];
    for (int i = 0; i < 4; ++i) {
      double k = M_PI / 4 + angle + i * M_PI / 2;
      px[i] = static_cast<int>(std::lround(std::sin(k) * radius + cx));
      py[i] = static_cast<int>(std::lround(std::cos(k) * radius + cy));
    }
    for (int i = 0; i < 4; ++i) Line(px[i], py[i], px[(i + 1) % 4], py[(i + 1) % 4], color);
  }

 private:
  int width_, height_;
  std::vector<uint8_t> pixels_;
};

std::mt19937& Rng() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return rng;
}
double Uniform() { return std::uniform_real_distribution<double>(0, 1)(Rng()); }
int RandomBelow(int n) { return n <= 0 ? 0 : std::uniform_int_distribution<int>(0, n - 1)(Rng()); }

// Schotter: rows of squares, more displaced and rotated the lower they are. Each braille
// character shows a 2x4 block of pixels.
std::string Schotter(int cols, int per_row, int per_col) {
  int width = cols * 2;
  int padding = width > 4 ? 2 : 0;
  double side = static_cast<double>(width - padding * 2) / per_row;
  Canvas canvas(width, static_cast<int>(side * per_col + padding * 2), 0);
  for (int y = 0; y < per_col; ++y) {
    for (int x = 0; x < per_row; ++x) {
      int cx = static_cast<int>(x * side + side / 2 + padding);
      int cy = static_cast<int>(y * side + side / 2 + padding);
      double angle = 0;
      if (y > 1) {  // the top two rows stay in order
        auto jitter = [&] {
          double r = Uniform() / per_col * y;
          return RandomBelow(2) ? -r : r;
        };
        angle = jitter();
        cx += static_cast<int>(jitter() * side / 3);
        cy += static_cast<int>(jitter() * side / 3);
      }
      canvas.Square(cx, cy, side, angle, 1);
    }
  }
  // Braille dot bits: (0,0)=0 (0,1)=1 (0,2)=2 (1,0)=3 (1,1)=4 (1,2)=5 (0,3)=6 (1,3)=7.
  static constexpr int kBit[2][4] = {{0, 1, 2, 6}, {3, 4, 5, 7}};
  std::string text;
  for (int y = 0; y < canvas.height(); y += 4) {
    for (int x = 0; x < canvas.width(); x += 2) {
      int dots = 0;
      for (int dx = 0; dx < 2; ++dx) {
        for (int dy = 0; dy < 4; ++dy) {
          if (canvas.Get(x + dx, y + dy)) dots |= 1 << kBit[dx][dy];
        }
      }
      int code = 0x2800 + dots;  // U+2800..U+28FF, three UTF-8 bytes
      text.push_back(static_cast<char>(0xE0 | (code >> 12)));
      text.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      text.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
    if (y != canvas.height() - 1) text.push_back('\n');
  }
  return text;
}

// One skyscraper standing on the canvas's bottom row; the foreground ones get windows.
void Skyscraper(Canvas& c, int xoff, int width, int height, bool windows, int color) {
  int bottom = c.height() - 1;
  int top = bottom - height + 1;
  for (int y = bottom; y >= top; --y) {
    for (int x = xoff; x < xoff + width; ++x) {
      if (y == top && (x <= xoff + 1 || x >= xoff + width - 2)) continue;  // narrower roof
      int pixel = color;
      if (windows && x > xoff + 1 && x < xoff + width - 2 && y > top + 1 && y < bottom - 1) {
        int relx = x - (xoff + 1), rely = y - (top + 1);
        if ((relx / 2) % 2 && rely % 2) {
          pixel = relx % 2 ? c.Get(x - 1, y) : 1 + RandomBelow(2);  // two pixels per window
        }
      }
      c.Set(x, y, pixel);
    }
  }
}

// The skyline: two rows of grey buildings behind, black ones with lit windows in front; each
// pixel a coloured space.
std::string Skyline(int cols, int rows) {
  Canvas c(cols, rows, 3);
  for (int color = 2; color >= 1; --color) {
    for (int off = -10; off < c.width();) {
      off += RandomBelow(8);
      int width = 10 + RandomBelow(9);
      int height = rows / 2 + RandomBelow(color == 2 ? rows / 2 : rows / 3);
      Skyscraper(c, off, width, height, false, color);
      off += color == 2 ? width / 2 : width + 1;
    }
  }
  for (int off = -10; off < c.width();) {
    off += RandomBelow(8);
    int width = 5 + RandomBelow(14);
    if (width % 4) width += width % 3;
    Skyscraper(c, off, width, rows / 3 + RandomBelow(rows / 2), true, 0);
    off += width + 5;
  }
  static constexpr std::string_view kColor[] = {"0;30;40m", "0;90;100m", "0;37;47m",
                                                "0;97;107m"};
  std::string text;
  for (int y = 0; y < rows; ++y) {
    for (int x = 0; x < cols; ++x) {
      text.append("\033[").append(kColor[c.Get(x, y) & 3]).append(" \033[0m");
    }
    if (y != rows - 1) text.push_back('\n');
  }
  return text;
}

// The optional numeric arguments from args[first] on, clamped to [1, max], as Redis.
bool Numbers(CommandContext& ctx, size_t first, std::span<int64_t> values, int64_t max) {
  for (size_t i = 0; i < values.size() && first + i < ctx.args.size(); ++i) {
    if (!ParseInt64(ctx.args[first + i], &values[i])) {
      ctx.out.Error(kErrNotInteger);
      return false;
    }
  }
  for (auto& v : values) v = std::clamp<int64_t>(v, 1, max);
  return true;
}

void Lolwut(CommandContext& ctx) {
  std::string version_line = "Redis ver. " + std::string(kRedisVersion) + "\n";
  int64_t version = 0;  // 0: none asked for
  size_t first = 1;     // the version's own arguments start here
  if (ctx.args.size() >= 3 && EqualsIgnoreCase(ctx.args[1], "version")) {
    if (!ParseInt64(ctx.args[2], &version)) return ctx.out.Error(kErrNotInteger);
    version = static_cast<uint32_t>(version);  // Redis prints it with %u
    first = 3;
  }
  if (version == 5 || version == 0) {
    int64_t v[3] = {66, 8, 12};  // columns, squares per row, squares per column
    if (!Numbers(ctx, first, std::span(v, version == 5 ? 3 : 0), 1000)) return;
    v[1] = std::min<int64_t>(v[1], 200);
    v[2] = std::min<int64_t>(v[2], 200);
    std::string art = Schotter(static_cast<int>(v[0]), static_cast<int>(v[1]),
                               static_cast<int>(v[2]));
    if (version == 5) {
      return ctx.out.Verbatim(
          "txt", art + "\nGeorg Nees - schotter, plotter on paper, 1968. " + version_line);
    }
    return ctx.out.Verbatim("txt", "PetaCore " PETACORE_VERSION
                                   ", a Redis-protocol server on etcd.\n" +
                                       art + "\nGeorg Nees - schotter, 1968.\n" + version_line);
  }
  if (version == 6) {
    int64_t v[2] = {80, 20};  // columns, rows
    if (!Numbers(ctx, first, v, 1000)) return;
    return ctx.out.Verbatim("txt", Skyline(static_cast<int>(v[0]), static_cast<int>(v[1])) +
                                       "\nDedicated to the 8 bit game developers of past and "
                                       "present.\nOriginal 8 bit image from Plaguemon by "
                                       "hikikomori. " +
                                       version_line);
  }
  ctx.out.Verbatim("txt", version_line);
}

}  // namespace

void RegisterLolwutFamily(CommandTable& t) {
  t.Add({.name = "lolwut",
         .arity = -1,
         .flags = kReadOnly | kFast,
         .acl = acl::kRead | acl::kFast,
         .handler = Lolwut});
}

}  // namespace petacore::commands
