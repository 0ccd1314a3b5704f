"""A small inventory: items in stock, orders that take from it, and a report.

Run it with `python3 inventory.py` to print the report for the sample data at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable


class InventoryError(Exception):
    """Raised when an order cannot be filled or an item is unknown."""


@dataclass
class Item:
    sku: str
    name: str
    price_cents: int
    quantity: int = 0
    reorder_level: int = 5

    def value_cents(self) -> int:
        """What the items on the shelf are worth."""
        return self.price_cents * self.quantity

    def needs_reorder(self) -> bool:
        return self.quantity <= self.reorder_level


@dataclass
class OrderLine:
    sku: str
    quantity: int


@dataclass
class Order:
    number: int
    customer: str
    lines: list[OrderLine] = field(default_factory=list)
    placed_on: date = field(default_factory=date.today)

    def add(self, sku: str, quantity: int = 1) -> "Order":
        if quantity <= 0:
            raise InventoryError(f"order {self.number}: quantity must be positive, got {quantity}")
        self.lines.append(OrderLine(sku, quantity))
        return self


class Inventory:
    """Items by SKU, with a history of what was sold."""

    def __init__(self, items: Iterable[Item] = ()) -> None:
        self._items: dict[str, Item] = {}
        self._sold: dict[str, int] = {}
        for item in items:
            self.add_item(item)

    def add_item(self, item: Item) -> None:
        if item.sku in self._items:
            raise InventoryError(f"duplicate SKU {item.sku!r}")
        self._items[item.sku] = item

    def item(self, sku: str) -> Item:
        try:
            return self._items[sku]
        except KeyError:
            raise InventoryError(f"unknown SKU {sku!r}") from None

    def restock(self, sku: str, quantity: int) -> int:
        item = self.item(sku)
        item.quantity += quantity
        return item.quantity

    def can_fill(self, order: Order) -> bool:
        needed: dict[str, int] = {}
        for line in order.lines:
            needed[line.sku] = needed.get(line.sku, 0) + line.quantity
        return all(self.item(sku).quantity >= n for sku, n in needed.items())

    def fill(self, order: Order) -> int:
        """Takes the order's items from stock; returns the total in cents."""
        if not self.can_fill(order):
            short = [line.sku for line in order.lines if self.item(line.sku).quantity < line.quantity]
            raise InventoryError(f"order {order.number} for {order.customer}: not enough {', '.join(short)}")
        total = 0
        for line in order.lines:
            item = self.item(line.sku)
            item.quantity -= line.quantity
            self._sold[line.sku] = self._sold.get(line.sku, 0) + line.quantity
            total += item.price_cents * line.quantity
        return total

    def to_reorder(self) -> list[Item]:
        return sorted((i for i in self._items.values() if i.needs_reorder()), key=lambda i: i.quantity)

    def best_sellers(self, n: int = 3) -> list[tuple[str, int]]:
        ranked = sorted(self._sold.items(), key=lambda kv: (-kv[1], kv[0]))
        return ranked[:n]

    def total_value_cents(self) -> int:
        return sum(item.value_cents() for item in self._items.values())


def money(cents: int) -> str:
    """Formats cents as dollars: 123456 -> '$1,234.56'."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def report(inventory: Inventory) -> str:
    lines = ["Inventory report", "================", ""]
    lines.append(f"Stock value: {money(inventory.total_value_cents())}")
    lines.append("")
    lines.append("To reorder:")
    for item in inventory.to_reorder():
        lines.append(f"  {item.sku:<8} {item.name:<24} {item.quantity:>4} left (level {item.reorder_level})")
    lines.append("")
    lines.append("Best sellers:")
    for sku, sold in inventory.best_sellers():
        lines.append(f"  {sku:<8} {inventory.item(sku).name:<24} {sold:>4} sold")
    return "\n".join(lines)


def sample_inventory() -> Inventory:
    return Inventory(
        [
            Item("PEN-01", "Ballpoint pen, blue", 120, 240, reorder_level=50),
            Item("PEN-02", "Ballpoint pen, red", 120, 35, reorder_level=50),
            Item("NB-A5", "Notebook A5, squared", 450, 80, reorder_level=20),
            Item("NB-A4", "Notebook A4, lined", 590, 12, reorder_level=20),
            Item("CLIP-S", "Paper clips, small (100)", 230, 60),
            Item("TAPE-19", "Adhesive tape 19 mm", 310, 4),
        ]
    )


if __name__ == "__main__":
    stock = sample_inventory()
    orders = [
        Order(1001, "Ada").add("PEN-01", 20).add("NB-A5", 4),
        Order(1002, "Grace").add("NB-A4", 10).add("TAPE-19", 2),
        Order(1003, "Alan").add("PEN-02", 40),
    ]
    for order in orders:
        try:
            print(f"order {order.number}: {money(stock.fill(order))}")
        except InventoryError as error:
            print(f"order {order.number}: refused ({error})")
    print()
    print(report(stock))
