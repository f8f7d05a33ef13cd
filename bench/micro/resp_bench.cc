// resp_bench.cc — parser and reply writer throughput (Google Benchmark).
#include <benchmark/benchmark.h>

#include <string>

#include "resp/parser.h"
#include "resp/reply.h"

namespace petacore::resp {
namespace {

std::string MultiBulk(std::initializer_list<std::string_view> args) {
  // Appends only: GCC 12 misfires -Wrestrict on "literal" + std::string temporaries.
  std::string s(1, '*');
  s += std::to_string(args.size());
  s += "\r\n";
  for (auto a : args) {
    s += '$';
    s += std::to_string(a.size());
    s += "\r\n";
    s += a;
    s += "\r\n";
  }
  return s;
}

// A redis-benchmark-like pipeline: alternating SET key:<i> <value> and GET key:<i>.
std::string GetSetPipeline(size_t commands, size_t value_size) {
  std::string stream;
  const std::string value(value_size, 'v');
  for (size_t i = 0; i < commands; ++i) {
    std::string key = "key:";
    key += std::to_string(i % 10000);
    stream += (i % 2 == 0) ? MultiBulk({"SET", key, value}) : MultiBulk({"GET", key});
  }
  return stream;
}

void BM_ParsePipeline(benchmark::State& state) {
  const std::string stream = GetSetPipeline(1000, static_cast<size_t>(state.range(0)));
  Parser parser;
  Command cmd;
  size_t args = 0;
  for (auto _ : state) {
    std::string_view rest = stream;
    while (!rest.empty()) {
      const Parser::Result r = parser.Parse(rest, &cmd);
      if (r.status != Parser::Status::kCommand) state.SkipWithError("parse failed");
      args += cmd.args.size();
      rest.remove_prefix(r.consumed);
    }
  }
  benchmark::DoNotOptimize(args);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 1000));
}
BENCHMARK(BM_ParsePipeline)->Arg(3)->Arg(64)->Arg(1024);

void BM_ParseInline(benchmark::State& state) {
  std::string stream;
  for (int i = 0; i < 1000; ++i) {
    stream += "SET key:";
    stream += std::to_string(i);
    stream += " \"some value\"\r\n";
  }
  Parser parser;
  Command cmd;
  for (auto _ : state) {
    std::string_view rest = stream;
    while (!rest.empty()) {
      const Parser::Result r = parser.Parse(rest, &cmd);
      benchmark::DoNotOptimize(cmd.args.data());
      rest.remove_prefix(r.consumed);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_ParseInline);

void BM_ReplyBulk(benchmark::State& state) {
  const std::string value(static_cast<size_t>(state.range(0)), 'v');
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    ReplyWriter w(&out);
    for (int i = 0; i < 1000; ++i) w.Bulk(value);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 1000));
}
BENCHMARK(BM_ReplyBulk)->Arg(3)->Arg(64)->Arg(1024);

void BM_ReplyInteger(benchmark::State& state) {
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    ReplyWriter w(&out);
    for (int64_t i = 0; i < 1000; ++i) w.Integer(i * 7919 - 100000);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 1000));
}
BENCHMARK(BM_ReplyInteger);

void BM_ReplyDouble(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    ReplyWriter w(&out);
    for (int i = 0; i < 1000; ++i) w.Double(i * 0.37);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 1000));
}
BENCHMARK(BM_ReplyDouble);

}  // namespace
}  // namespace petacore::resp

BENCHMARK_MAIN();
