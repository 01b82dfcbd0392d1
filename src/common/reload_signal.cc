#include "common/reload_signal.h"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <csignal>
#include <spdlog/spdlog.h>

namespace drover {

struct ReloadOnSignal::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io, std::string path, Apply apply, Observer observer)
      : signals(io, SIGHUP),
        config_path(std::move(path)),
        apply(std::move(apply)),
        observer(std::move(observer)) {}

  void Wait() {
    signals.async_wait([weak = std::weak_ptr<Impl>(shared_from_this())](
                           const asio::error_code& ec, int) {
      auto self = weak.lock();
      if (ec || !self) return;
      spdlog::info("SIGHUP: reloading keys from {}", self->config_path);
      (void)self->Reload();
      self->Wait();
    });
  }

  Status Reload() {
    if (observer.begin) observer.begin();
    Status result = LoadAndApply();
    if (observer.end) observer.end(result);
    return result;
  }

  Status LoadAndApply() {
    auto config = LoadConfig(config_path);
    if (!config.ok()) {
      spdlog::error("reload refused, keeping the current keys: {}", config.status().message());
      return config.status();
    }
    auto keys = LoadKeyRing(*config);
    if (!keys.ok()) {
      spdlog::error("reload refused, keeping the current keys: {}", keys.status().message());
      return keys.status();
    }
    const std::string described = keys->Describe();
    if (Status s = apply(*config, std::move(*keys)); !s.ok()) {
      spdlog::error("reload refused, keeping the current configuration and keys: {}", s.message());
      return s;
    }
    spdlog::info("cluster keys now {}", described);
    return Status::Ok();
  }

  asio::signal_set signals;
  std::string config_path;
  Apply apply;
  Observer observer;
};

ReloadOnSignal::ReloadOnSignal(asio::io_context& io, std::string config_path, Apply apply,
                               Observer observer)
    : impl_(std::make_shared<Impl>(io, std::move(config_path), std::move(apply),
                                   std::move(observer))) {
  impl_->Wait();
}

ReloadOnSignal::~ReloadOnSignal() {
  asio::error_code ec;
  impl_->signals.cancel(ec);
}

Status ReloadOnSignal::Reload() { return impl_->Reload(); }

}  // namespace drover
