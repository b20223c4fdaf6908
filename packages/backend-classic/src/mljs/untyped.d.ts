// ml.js packages without type declarations; src/mljs/models.ts narrows them to what it uses.
declare module 'ml-cart';
declare module 'ml-logistic-regression';
declare module 'ml-knn';
declare module 'ml-naivebayes';
