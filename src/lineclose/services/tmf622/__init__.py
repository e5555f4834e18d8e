"""TM Forum TMF622 Product Ordering v4 over closure requests: a termination is a product order
whose one item has action `delete`. See README, "TMF622", for the documented characteristics."""
