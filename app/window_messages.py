"""How the review window talks to the user: transient status messages, and the coloured bar
above the video for what must be seen (errors, warnings). Never a traceback."""
from __future__ import annotations


class WindowMessages:
    """Mixed into the main window; uses its ``status_label``, ``message_bar`` and ``_message_timer``."""

    def show_message(self, text: str, timeout_ms: int = 0) -> None:
        self.status_label.setText(text)
        self._message_timer.stop()
        if timeout_ms:
            self._message_timer.start(timeout_ms)

    def show_error(self, text: str) -> None:
        """A problem the user must see: the red bar above the video plus the status bar."""
        self._show_bar(text, "error", "background:#5c1f24;color:#ffdede;")

    def show_warning(self, text: str) -> None:
        self._show_bar(text, "warning", "background:#5a4a17;color:#fff3cf;")

    def _show_bar(self, text: str, level: str, colours: str) -> None:
        self._message_timer.stop()
        self.message_bar.setProperty("level", level)
        self.message_bar.setText(text)
        self.message_bar.setStyleSheet(colours + "padding:6px;border-radius:3px;")
        self.message_bar.show()
        self.status_label.setText(text)

    def show_progress(self, done: float, total: float, text: str) -> None:
        """The status bar's progress bar at ``done / total`` (busy when ``total`` is unknown), labelled."""
        bar = self.progress_bar
        if total > 0:
            bar.setRange(0, 1000)
            bar.setValue(int(1000 * min(done / total, 1.0)))
            bar.setFormat(f"{100 * done / total:.0f}%  {text}")
        else:
            bar.setFormat(text)

    def clear_message_bar(self) -> None:
        self.message_bar.hide()
        self.message_bar.setText("")


__all__ = ["WindowMessages"]
