DROP TABLE qbr_links;
