"""Orders: cart, checkout, order lifecycle, "My orders" and the staff order console."""
