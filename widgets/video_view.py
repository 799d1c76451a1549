"""The video frame in a zoomable QGraphicsView, with overlays (skeleton, clip outline) as
separate classes that own their scene items (SLEAP style).

Overlays create their items once and only move/recolour them on each frame, so a frame change
costs O(joints), never a scan over the recording.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QLinearGradient, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsLineItem,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from inference.pose.joints import JOINT_LABELS, NUM_JOINTS, SKELETON_EDGES

from .colors import MISSING_COLOR, attention_cmap, map_colors, qcolor

COLOR_BY_ATTENTION = "attention"
COLOR_BY_CONFIDENCE = "confidence"

_Z_FRAME, _Z_EDGE, _Z_JOINT, _Z_OUTLINE = 0, 10, 20, 30


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """``[H, W, 3]`` (RGB) / ``[H, W, 4]`` (RGBA) / ``[H, W]`` (grey) uint8 -> a QImage that owns its pixels."""
    img, _keep = _borrowed_qimage(rgb)
    # QImage borrows the buffer; copy() detaches it so the array may be freed.
    return img.copy()


def _borrowed_qimage(rgb: np.ndarray) -> tuple[QImage, np.ndarray]:
    """A QImage over the array's own memory; valid only while the returned array lives."""
    a = np.ascontiguousarray(rgb)
    if a.dtype != np.uint8:
        raise ValueError(f"frame must be uint8, got {a.dtype}")
    if a.ndim == 2:
        fmt, h, w, ch = QImage.Format_Grayscale8, a.shape[0], a.shape[1], 1
    elif a.ndim == 3 and a.shape[2] in (3, 4):
        h, w, ch = a.shape
        fmt = QImage.Format_RGB888 if ch == 3 else QImage.Format_RGBA8888
    else:
        raise ValueError(f"frame must be [H, W], [H, W, 3] or [H, W, 4], got {a.shape}")
    return QImage(a.data, w, h, w * ch, fmt), a


def _cross_path(r: float) -> QPainterPath:
    p = QPainterPath()
    p.moveTo(-r, -r)
    p.lineTo(r, r)
    p.moveTo(-r, r)
    p.lineTo(r, -r)
    return p


class SkeletonOverlay:
    """Joints and edges of one pose on a scene; missing joints as grey crosses.

    ``setPose(xy [14, 2] pixels, conf [14] in [0, 1], attention [14] or None)``. A joint is missing
    when ``conf < min_conf`` (drawn as a grey cross at its last position) or its ``xy`` is NaN
    (nothing drawn). Colours: by attention (viridis, relative to the frame's maximum) or by
    confidence (viridis over 0..1). ``joint_items[j]`` (ellipse), ``missing_items[j]`` (cross),
    ``edge_items[k]`` (line) are public for tests; ``joint_colors()`` returns their fill colours.
    """

    def __init__(self, scene: QGraphicsScene, min_conf: float = 0.1):
        self.scene = scene
        self.min_conf = float(min_conf)
        self.color_mode = COLOR_BY_ATTENTION
        self.visible = True
        self._radius = 4.0
        self._cmap = attention_cmap()
        self.xy = np.full((NUM_JOINTS, 2), np.nan)
        self.conf = np.zeros(NUM_JOINTS)
        self.attention: Optional[np.ndarray] = None
        self.edge_items: list[QGraphicsLineItem] = []
        for _a, _b in SKELETON_EDGES:
            line = QGraphicsLineItem()
            line.setZValue(_Z_EDGE)
            line.setVisible(False)
            scene.addItem(line)
            self.edge_items.append(line)
        self.joint_items: list[QGraphicsEllipseItem] = []
        self.missing_items: list[QGraphicsPathItem] = []
        for j in range(NUM_JOINTS):
            dot = QGraphicsEllipseItem()
            dot.setZValue(_Z_JOINT)
            dot.setToolTip(JOINT_LABELS[j])
            dot.setData(0, j)
            dot.setVisible(False)
            scene.addItem(dot)
            self.joint_items.append(dot)
            cross = QGraphicsPathItem()
            cross.setZValue(_Z_JOINT)
            cross.setToolTip(f"{JOINT_LABELS[j]} (missing)")
            cross.setData(0, j)
            cross.setVisible(False)
            scene.addItem(cross)
            self.missing_items.append(cross)
        self.setRadius(4.0)

    def setRadius(self, r: float) -> None:
        """Joint radius in frame pixels (the view sets it from the frame height)."""
        self._radius = float(r)
        for dot in self.joint_items:
            dot.setRect(QRectF(-r, -r, 2 * r, 2 * r))
        path = _cross_path(r)
        pen = QPen(MISSING_COLOR, 0)
        pen.setCosmetic(True)
        pen.setWidthF(2.0)
        for cross in self.missing_items:
            cross.setPath(path)
            cross.setPen(pen)

    def setVisible(self, on: bool) -> None:
        self.visible = bool(on)
        self._refresh()

    def setColorMode(self, mode: str) -> None:
        if mode not in (COLOR_BY_ATTENTION, COLOR_BY_CONFIDENCE):
            raise ValueError(f"unknown colour mode {mode!r}")
        self.color_mode = mode
        self._refresh()

    def setPose(self, xy, conf, attention=None) -> None:
        self.xy = np.asarray(xy, dtype=np.float64).reshape(NUM_JOINTS, 2)
        self.conf = np.nan_to_num(np.asarray(conf, dtype=np.float64).reshape(NUM_JOINTS), nan=0.0)
        self.attention = None if attention is None else np.asarray(attention, dtype=np.float64).reshape(NUM_JOINTS)
        self._refresh()

    def clear(self) -> None:
        self.setPose(np.full((NUM_JOINTS, 2), np.nan), np.zeros(NUM_JOINTS))

    def present(self) -> np.ndarray:
        """``[14]`` bool: joints drawn as detected."""
        return np.isfinite(self.xy).all(axis=1) & (self.conf >= self.min_conf)

    def color_values(self) -> np.ndarray:
        """``[14]`` values in [0, 1] that pick each joint's colour in the current mode."""
        if self.color_mode == COLOR_BY_CONFIDENCE or self.attention is None:
            return np.clip(self.conf, 0.0, 1.0)
        att = np.where(self.present(), np.nan_to_num(self.attention, nan=0.0), 0.0)
        peak = att.max() if att.size else 0.0
        return att / peak if peak > 0 else att

    def joint_colors(self) -> list[QColor]:
        return [dot.brush().color() for dot in self.joint_items]

    def _refresh(self) -> None:
        finite = np.isfinite(self.xy).all(axis=1)
        present = self.present()
        colors = map_colors(self.color_values(), self._cmap)
        outline = QPen(QColor(255, 255, 255, 220))
        outline.setCosmetic(True)
        outline.setWidthF(1.2)
        for j in range(NUM_JOINTS):
            dot, cross = self.joint_items[j], self.missing_items[j]
            if finite[j]:
                pos = QPointF(self.xy[j, 0], self.xy[j, 1])
                dot.setPos(pos)
                cross.setPos(pos)
            dot.setVisible(self.visible and bool(present[j]))
            cross.setVisible(self.visible and bool(finite[j] and not present[j]))
            if present[j]:
                dot.setBrush(QBrush(qcolor(colors[j])))
                dot.setPen(outline)
        for k, (a, b) in enumerate(SKELETON_EDGES):
            line = self.edge_items[k]
            if not (self.visible and finite[a] and finite[b]):
                line.setVisible(False)
                continue
            line.setLine(self.xy[a, 0], self.xy[a, 1], self.xy[b, 0], self.xy[b, 1])
            both = present[a] and present[b]
            pen = QPen(QColor(255, 255, 255, 200) if both else QColor(154, 160, 166, 160))
            pen.setCosmetic(True)
            pen.setWidthF(2.0 if both else 1.2)
            if not both:
                pen.setStyle(Qt.DashLine)  # an edge to a missing joint is a guess, show it as one
            line.setPen(pen)
            line.setVisible(True)


class ClipOutlineOverlay:
    """A dashed square of side ``side`` pixels centred on one joint: the crop the model sees.

    ``setJoint(index or None, side)``; ``updatePose(xy [14, 2], present [14])`` follows the joint.
    Hidden while the joint is missing. ``item`` is the QGraphicsRectItem.
    """

    def __init__(self, scene: QGraphicsScene):
        self.joint: Optional[int] = None
        self.side = 128.0
        self.item = QGraphicsRectItem()
        pen = QPen(QColor("#ffd54f"))
        pen.setCosmetic(True)
        pen.setWidthF(1.5)
        pen.setStyle(Qt.DashLine)
        self.item.setPen(pen)
        self.item.setZValue(_Z_OUTLINE)
        self.item.setVisible(False)
        scene.addItem(self.item)

    def setJoint(self, joint: Optional[int], side: Optional[float] = None) -> None:
        self.joint = joint
        if side is not None:
            self.side = float(side)
        h = self.side / 2
        self.item.setRect(QRectF(-h, -h, self.side, self.side))

    def updatePose(self, xy: np.ndarray, present: np.ndarray) -> None:
        j = self.joint
        if j is None or not present[j]:
            self.item.setVisible(False)
            return
        self.item.setPos(QPointF(float(xy[j, 0]), float(xy[j, 1])))
        self.item.setVisible(True)


class VideoView(QGraphicsView):
    """The current video frame with a skeleton overlay; wheel zooms, dragging pans.

    Signals: ``jointClicked(int joint)`` (a click on a joint dot or cross), ``zoomChanged(float)``.
    Setters: ``setFrame(rgb [H, W, 3] uint8)``, ``setPose(xy [14, 2] px, conf [14], attention [14] | None)``,
    ``setSkeletonVisible(bool)``, ``setColorMode("attention" | "confidence")``,
    ``setClipJoint(joint | None, side_px)``, ``setLegendVisible(bool)``, ``zoomBy(factor)``,
    ``fitFrame()``. Getters: ``zoom()`` (view scale), ``frameSize()`` -> (w, h) or None.
    Overlays: ``skeleton`` (SkeletonOverlay), ``clip_outline`` (ClipOutlineOverlay).
    """

    jointClicked = Signal(int)
    zoomChanged = Signal(float)

    MIN_ZOOM, MAX_ZOOM = 0.05, 40.0

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.Antialiasing | QPainter.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        # Drag pans; scroll bars would only take room from the picture.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        # The legend is painted in viewport coordinates, so the whole viewport must repaint.
        self.setViewportUpdateMode(QGraphicsView.FullViewportUpdate)
        self.setBackgroundBrush(QColor("#111316"))
        self.setFrameShape(QGraphicsView.NoFrame)
        self.setMinimumSize(160, 120)
        self.pixmap_item = QGraphicsPixmapItem()
        self.pixmap_item.setZValue(_Z_FRAME)
        self.pixmap_item.setTransformationMode(Qt.SmoothTransformation)
        self.scene().addItem(self.pixmap_item)
        self.skeleton = SkeletonOverlay(self.scene())
        self.clip_outline = ClipOutlineOverlay(self.scene())
        self._frame_size: Optional[tuple[int, int]] = None
        self._user_zoomed = False
        self.legend_visible = True

    # --- frame & overlays ---
    def setFrame(self, rgb: np.ndarray) -> None:
        img, keep = _borrowed_qimage(rgb)
        self.pixmap_item.setPixmap(QPixmap.fromImage(img))  # copies the pixels
        del keep
        size = (img.width(), img.height())
        if size != self._frame_size:
            self._frame_size = size
            self.scene().setSceneRect(QRectF(0, 0, size[0], size[1]))
            self.skeleton.setRadius(max(2.5, size[1] / 110.0))
            if not self._user_zoomed:
                self.fitFrame()

    def frameSize(self) -> Optional[tuple[int, int]]:
        return self._frame_size

    def setPose(self, xy, conf, attention=None) -> None:
        self.skeleton.setPose(xy, conf, attention)
        self._pose_changed()

    def clearPose(self) -> None:
        """No skeleton on the picture (no pose for the frame shown)."""
        self.skeleton.clear()
        self._pose_changed()

    def _pose_changed(self) -> None:
        self.clip_outline.updatePose(self.skeleton.xy, self.skeleton.present())
        self.viewport().update()

    def setSkeletonVisible(self, on: bool) -> None:
        self.skeleton.setVisible(on)
        self.viewport().update()

    def skeletonVisible(self) -> bool:
        return self.skeleton.visible

    def setColorMode(self, mode: str) -> None:
        self.skeleton.setColorMode(mode)
        self.viewport().update()

    def setClipJoint(self, joint: Optional[int], side_px: Optional[float] = None) -> None:
        self.clip_outline.setJoint(joint, side_px)
        self.clip_outline.updatePose(self.skeleton.xy, self.skeleton.present())

    def setLegendVisible(self, on: bool) -> None:
        self.legend_visible = bool(on)
        self.viewport().update()

    # --- zoom & pan ---
    def zoom(self) -> float:
        return float(self.transform().m11())

    def zoomBy(self, factor: float) -> None:
        target = min(max(self.zoom() * factor, self.MIN_ZOOM), self.MAX_ZOOM)
        f = target / self.zoom()
        if abs(f - 1.0) < 1e-9:
            return
        self._user_zoomed = True
        self.scale(f, f)
        self.zoomChanged.emit(self.zoom())

    def fitFrame(self) -> None:
        """Fit the whole frame in the view (also what a double-click does)."""
        self._user_zoomed = False
        if self._frame_size:
            self.fitInView(self.scene().sceneRect(), Qt.KeepAspectRatio)
            self.zoomChanged.emit(self.zoom())

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoomBy(1.25 ** steps)
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        self.fitFrame()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            for item in self.items(event.position().toPoint()):
                j = item.data(0)
                if j is not None and item.isVisible():
                    self.jointClicked.emit(int(j))
                    break
        super().mousePressEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._user_zoomed:
            self.fitFrame()

    # --- legend ---
    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        if not (self.legend_visible and self.skeleton.visible and self._frame_size):
            return
        painter.save()
        painter.resetTransform()  # viewport pixels from here on
        vw = self.viewport().width()
        bar_w, bar_h, pad = 120, 10, 8
        x0, y0 = vw - bar_w - 2 * pad - 4, 6
        box = QRectF(x0, y0, bar_w + 2 * pad, 58)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(box, 4, 4)
        font = QFont(painter.font())
        font.setPointSizeF(8.0)
        painter.setFont(font)
        painter.setPen(QColor("#e8eaed"))
        mode = self.skeleton.color_mode
        title = "attention (rel.)" if mode == COLOR_BY_ATTENTION and self.skeleton.attention is not None else "confidence"
        painter.drawText(QRectF(x0 + pad, y0 + 2, bar_w, 14), Qt.AlignLeft | Qt.AlignVCenter, title)
        grad = QLinearGradient(x0 + pad, 0, x0 + pad + bar_w, 0)
        cmap = attention_cmap()
        for stop in np.linspace(0, 1, 9):
            grad.setColorAt(float(stop), qcolor(cmap.map([stop], mode="byte")[0]))
        bar = QRectF(x0 + pad, y0 + 18, bar_w, bar_h)
        painter.fillRect(bar, grad)
        painter.drawText(QRectF(x0 + pad, y0 + 29, 30, 12), Qt.AlignLeft, "0")
        painter.drawText(QRectF(x0 + pad + bar_w - 30, y0 + 29, 30, 12), Qt.AlignRight, "1")
        # The "missing" key: a grey cross like the overlay's.
        cx, cy = x0 + pad + 4, y0 + 48
        pen = QPen(MISSING_COLOR, 1.6)
        painter.setPen(pen)
        painter.drawLine(QPointF(cx - 3, cy - 3), QPointF(cx + 3, cy + 3))
        painter.drawLine(QPointF(cx - 3, cy + 3), QPointF(cx + 3, cy - 3))
        painter.setPen(QColor("#e8eaed"))
        painter.drawText(QRectF(cx + 6, cy - 6, 60, 12), Qt.AlignLeft | Qt.AlignVCenter, "missing")
        painter.restore()
